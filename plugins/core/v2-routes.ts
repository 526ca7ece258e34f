import { Type } from 'typebox'
import { v2Errors, type PluginApp } from '../../sdk/index.js'

/** OpenCode 1.18's `GET /api/health` (2.1 dropped it for `GET /api/info`; 1.18 clients still ask). */
export function registerCoreV2Routes(app: PluginApp): void {
  const healthy = { healthy: true as const }
  app.get(
    '/api/health',
    {
      config: { instance: false, v2: true },
      schema: {
        operationId: 'v2.health.get',
        tags: ['v2'],
        summary: 'Check server health',
        response: { 200: Type.Object({ healthy: Type.Literal(true) }, { additionalProperties: false }), ...v2Errors() },
      },
    },
    async () => healthy,
  )
}
