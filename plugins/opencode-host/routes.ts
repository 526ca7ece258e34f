import { Type } from 'typebox'
import { InstanceQuery, ref, type PluginApp } from '../../sdk/index.js'
import { OpencodePluginInfo } from './schemas.js'
import type { OpencodePluginHost } from './service.js'

export function registerRoutes(app: PluginApp, host: OpencodePluginHost): void {
  app.get(
    '/plugin',
    {
      schema: {
        operationId: 'plugin.opencode.list',
        tags: ['instance'],
        summary: 'The OpenCode plugins of this directory: source, hooks, tools and load errors',
        querystring: Type.Object(InstanceQuery),
        response: { 200: Type.Array(ref(OpencodePluginInfo)) },
      },
    },
    async (request) => host.records(request.instance),
  )
}
