import { definePlugin } from '../../kernel/plugin.js'
import { registerSchemas } from '../../kernel/schemas.js'
import { registerLspRoutes } from './routes.js'
import { LSPStatus } from './schemas.js'

/** Language servers: the built-in table with config `lsp` applied, and which are installed. */
export default definePlugin({
  name: 'lsp',
  register(app, kernel) {
    registerSchemas(app, [LSPStatus])
    registerLspRoutes(app, kernel)
  },
})
