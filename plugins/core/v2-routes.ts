import { Type } from 'typebox'
import {
  LocationInfo,
  LocationQuery,
  locationOf,
  locationWorkspace,
  ref,
  v2Errors,
  type PluginApp,
} from '../../sdk/index.js'

/** The v2 meta routes: `GET /api/health` and `GET /api/location`. */
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

  app.get(
    '/api/location',
    {
      config: { v2: true, location: true },
      schema: {
        operationId: 'v2.location.get',
        tags: ['v2'],
        summary: 'Get location',
        description:
          'The requested location (`location[directory]`, else `x-opencode-directory`, else the server cwd) with its project.',
        querystring: Type.Object(LocationQuery),
        response: { 200: ref(LocationInfo), ...v2Errors() },
      },
    },
    async (request) => locationOf(request.instance, locationWorkspace(request)),
  )
}
