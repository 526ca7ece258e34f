import { definePlugin, registerSchemas } from '../../sdk/index.js'
import { registerPtyRoutes } from './routes.js'
import { PtyInfo, PtyShell } from './schemas.js'
import { PtyService } from './service.js'
import { Tickets } from './socket.js'
import { PtyNotFoundErrorBody, registerPtyV2Routes } from './v2-routes.js'

/** Terminals (node-pty) driven over HTTP, with their input and output over a WebSocket. */
export default definePlugin({
  name: 'pty',
  needs: [
    'paths',
    'bus',
    'storage',
    'instances',
    'extensions',
    'tools',
    'processes',
    'env',
    'internalAuthorization',
    'dev',
    'publish',
    'config',
    'loadedConfig',
    'invalidateConfig',
    'onInstanceBoot',
    'reloading',
    'clustered',
    'node',
    'keep',
  ],
  register(app, kernel) {
    registerSchemas(app, [PtyInfo, PtyShell, PtyNotFoundErrorBody])
    const service = new PtyService(kernel)
    // One ticket book: a ticket from either surface opens either connect route.
    const tickets = new Tickets()
    registerPtyRoutes(app, service, tickets)
    registerPtyV2Routes(app, service, tickets)
  },
})
