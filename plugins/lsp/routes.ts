import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Kernel } from '../../kernel/plugin.js'
import { InstanceQuery, ref } from '../../kernel/schemas.js'
import { LSPStatus } from './schemas.js'
import { lspStatus } from './service.js'
import type { LspClients } from './clients.js'

export function registerLspRoutes(app: FastifyInstance, kernel: Kernel, clients: LspClients): void {
  app.get(
    '/lsp',
    {
      schema: {
        operationId: 'lsp.status',
        tags: ['instance'],
        summary: 'Language servers',
        description:
          'Built-in and configured language servers: `connected` or `error` once started here (they start when a file they handle is edited), else `available`, `unavailable` (not installed) or `disabled`. A server that failed to start or exited shows `error`, `attempts` and `retryAt`: it is started again on the first edit after `retryAt` (backoff 1 s doubling, at most 5 min).',
        querystring: Type.Object(InstanceQuery),
        response: { 200: Type.Array(ref(LSPStatus)) },
      },
    },
    async (request) =>
      lspStatus(request.instance, kernel.config(request.instance), kernel.env).map((server) => {
        const running = server.status === 'available' ? clients.status(request.instance, server.id) : undefined
        return running ? { ...server, ...running } : server
      }),
  )
}
