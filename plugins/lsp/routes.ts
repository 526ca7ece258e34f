import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Kernel } from '../../kernel/plugin.js'
import { InstanceQuery, ref } from '../../kernel/schemas.js'
import { LSPStatus } from './schemas.js'
import { lspStatus } from './service.js'

export function registerLspRoutes(app: FastifyInstance, kernel: Kernel): void {
  app.get(
    '/lsp',
    {
      schema: {
        operationId: 'lsp.status',
        tags: ['instance'],
        summary: 'Language servers',
        description: 'Built-in and configured language servers, and whether each is installed here (`status`: available, unavailable or disabled).',
        querystring: Type.Object(InstanceQuery),
        response: { 200: Type.Array(ref(LSPStatus)) },
      },
    },
    async (request) => lspStatus(request.instance, kernel.config(request.instance), kernel.env),
  )
}
