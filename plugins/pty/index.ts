import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import type {} from '../session/types.js' // app.sessions, when the session plugin runs
import { SessionNotFoundError } from './errors.js'
import { registerPersistentPtyRoutes } from './persistent/routes.js'
import { PersistentPtyInfo } from './persistent/schemas.js'
import { PersistentPtyService, type SessionLookup } from './persistent/service.js'
import { registerPtyRoutes } from './routes.js'
import { PtyInfo, PtyNotFoundErrorBody, PtyShell } from './schemas.js'
import { PtyService } from './service.js'
import { Tickets } from './socket.js'
import { registerPtyV2Routes } from './v2-routes.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['extensions', 'processes', 'env', 'publish', 'bus', 'keep'] as const satisfies readonly KernelMember[]
export type PtyKernel = PluginKernel<(typeof needs)[number]>

/**
 * Terminals (node-pty) driven over HTTP, with their input and output over a WebSocket: a
 * project's terminals (`/pty`, `/api/pty`), and OpenCode 2.1's persistent terminals of a session
 * (`/api/experimental/…`), which keep their screen for clients that come and go.
 */
export default definePlugin({
  name: 'pty',
  needs,
  register(app, kernel) {
    registerSchemas(app, [PtyInfo, PtyShell, PtyNotFoundErrorBody, PersistentPtyInfo])
    const service = new PtyService(kernel)
    // One ticket book: a ticket from either surface opens either connect route of its terminal.
    const tickets = new Tickets()
    registerPtyRoutes(app, service, tickets)
    registerPtyV2Routes(app, service, tickets)

    // Sessions are the session plugin's; without it, no session exists.
    const sessions: SessionLookup = {
      locate: async (sessionID) => {
        if (!app.hasDecorator('sessions')) throw new SessionNotFoundError(sessionID)
        return app.sessions.locate(sessionID)
      },
      exists: (sessionID) => app.hasDecorator('sessions') && app.sessions.find(sessionID) !== undefined,
    }
    const persistent = new PersistentPtyService(kernel, sessions)
    registerPersistentPtyRoutes(app, persistent, tickets)
    const unsubscribe = kernel.bus.subscribe((event) => {
      if (event.payload.type === 'session.deleted') persistent.endSession(String(event.payload.properties.sessionID))
    })
    app.addHook('onClose', async () => unsubscribe())
  },
})
