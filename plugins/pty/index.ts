import { definePlugin } from '../../kernel/plugin.js'
import { registerSchemas } from '../../kernel/schemas.js'
import { registerPtyRoutes } from './routes.js'
import { PtyInfo, PtyShell } from './schemas.js'
import { PtyService } from './service.js'

/** Terminals (node-pty) driven over HTTP, with their input and output over a WebSocket. */
export default definePlugin({
  name: 'pty',
  register(app, kernel) {
    registerSchemas(app, [PtyInfo, PtyShell])
    registerPtyRoutes(app, new PtyService(kernel))
  },
})
