import { defineEvent } from '../../sdk/index.js'

/** A language server started or failed for the instance: clients read `GET /lsp` again. */
export const LspUpdated = defineEvent('lsp.updated', {})
