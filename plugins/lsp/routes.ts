import type { LspKernel } from './index.js'
import { Type } from 'typebox'
import { InstanceQuery, ref, type PluginApp } from '../../sdk/index.js'
import { LSPServer, LSPStatus } from './schemas.js'
import { lspServers } from './service.js'
import type { LspClients } from './clients.js'

export function registerLspRoutes(app: PluginApp, kernel: LspKernel, clients: LspClients): void {
  app.get(
    '/lsp',
    {
      schema: {
        operationId: 'lsp.status',
        tags: ['instance'],
        summary: 'Get LSP status',
        description:
          'The language servers running for this directory, as OpenCode lists them: `connected`, or `error` when one failed to start or died ' +
          '(they start when a file they handle is edited; `lsp.updated` tells when; one that failed is started again on the first edit after a backoff of 1 s doubling, at most 5 min). ' +
          '`all=true` lists every built-in and configured server instead, with `extensions`, `command`, `available`, `status` `available`, `unavailable` (not installed) or `disabled` for those not started, and `error`, `attempts`, `retryAt` for one that failed.',
        querystring: Type.Object({
          ...InstanceQuery,
          all: Type.Optional(Type.Boolean({ description: 'Every configured server, running or not' })),
        }),
        response: { 200: Type.Array(Type.Union([ref(LSPStatus), ref(LSPServer)])) },
      },
    },
    async (request) => {
      const { all } = request.query
      // Reading config first: a broken config file answers ConfigInvalidError here too.
      const config = kernel.config(request.instance)
      if (!all) return clients.list(request.instance)
      return lspServers(request.instance, config, kernel.env).map((server) => {
        const running = server.status === 'available' ? clients.status(request.instance, server.id) : undefined
        return running ? { ...server, ...running } : server
      })
    },
  )
}
