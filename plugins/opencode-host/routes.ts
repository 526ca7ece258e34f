import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { InstanceQuery, ref } from '../../sdk/index.js'
import { OpencodePluginInfo } from './schemas.js'
import type { OpencodePlugins } from './service.js'

export function registerRoutes(app: FastifyInstance, plugins: OpencodePlugins): void {
  app.get(
    '/plugin',
    {
      schema: {
        operationId: 'plugin.list',
        tags: ['instance'],
        summary: 'The OpenCode plugins of this directory: source, hooks, tools and load errors',
        querystring: Type.Object(InstanceQuery),
        response: { 200: Type.Array(ref(OpencodePluginInfo)) },
      },
    },
    async (request) => plugins.records(request.instance),
  )
}
