import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { registerPtyRoutes } from './routes.js'
import { PtyInfo, PtyNotFoundErrorBody, PtyShell } from './schemas.js'
import { PtyService } from './service.js'
import { Tickets } from './socket.js'
import { registerPtyV2Routes } from './v2-routes.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['extensions', 'processes', 'env', 'publish'] as const satisfies readonly KernelMember[]
export type PtyKernel = PluginKernel<(typeof needs)[number]>

/** Terminals (node-pty) driven over HTTP, with their input and output over a WebSocket. */
export default definePlugin({
  name: 'pty',
  needs,
  register(app, kernel) {
    registerSchemas(app, [PtyInfo, PtyShell, PtyNotFoundErrorBody])
    const service = new PtyService(kernel)
    // One ticket book: a ticket from either surface opens either connect route.
    const tickets = new Tickets()
    registerPtyRoutes(app, service, tickets)
    registerPtyV2Routes(app, service, tickets)
  },
})
