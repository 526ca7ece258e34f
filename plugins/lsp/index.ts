import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { registerLspRoutes } from './routes.js'
import { LSPServer, LSPStatus } from './schemas.js'
import { LspClients } from './clients.js'
import type { LspApi } from './types.js'
import { FileEditHook } from '../../sdk/tools.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['extensions', 'processes', 'env', 'publish', 'config'] as const satisfies readonly KernelMember[]
export type LspKernel = PluginKernel<(typeof needs)[number]>

/** Language servers: the built-in table with config `lsp` applied, which are installed, and clients for diagnostics and symbols. */
export default definePlugin({
  name: 'lsp',
  needs,
  register(app, kernel) {
    registerSchemas(app, [LSPStatus, LSPServer])
    const clients = new LspClients(kernel)
    const api: LspApi = { workspaceSymbols: (instance, query) => clients.symbols(instance, query) }
    app.decorate('lsp', api)
    // After the write, edit and apply_patch tools change a file: its errors go back to the model.
    kernel.extensions.provide(FileEditHook, 'lsp', ({ instance, file }) => clients.diagnostics(instance, file))
    registerLspRoutes(app, kernel, clients)
  },
})
