// The lsp plugin's public contract (`app.lsp`). Import with `import type` only.
import { type Instance } from '../../sdk/index.js'
import type { LspSymbol } from './client.js'

export type { LspSymbol }

export interface LspApi {
  /** Workspace symbols matching `query` from the language servers running for this instance. */
  workspaceSymbols(instance: Instance, query: string): Promise<LspSymbol[]>
}

declare module 'fastify' {
  interface FastifyInstance {
    lsp: LspApi
  }
}
