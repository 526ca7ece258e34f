// OpenCode 2.1's shells: `/api/shell*` (commands of a location, their output in files under the
// data dir), the per-session environment they run with, and `app.shells` for other plugins
// (the session plugin's `POST /api/session/{id}/shell`). The contract is types.ts.
import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { registerEnvironmentRoutes } from './environment-routes.js'
import { SessionEnvironments } from './environments.js'
import { registerShellRoutes } from './routes.js'
import { SHELL_SCHEMAS } from './schemas.js'
import { ShellService } from './service.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = [
  'paths',
  'env',
  'bus',
  'publish',
  'processes',
  'extensions',
  'config',
  'keep',
] as const satisfies readonly KernelMember[]
export type ShellKernel = PluginKernel<(typeof needs)[number]>

export default definePlugin({
  name: 'shell',
  needs,
  register(app, kernel) {
    registerSchemas(app, SHELL_SCHEMAS)
    // Process-lifetime: a plugin reloaded in dev mode keeps the environments clients set.
    const environments = new SessionEnvironments(kernel.keep('shell.environments', () => new Map()))
    const unsubscribe = kernel.bus.subscribe((event) => {
      if (event.payload.type === 'session.deleted')
        environments.delete((event.payload.properties as { sessionID: string }).sessionID)
    })
    app.addHook('onClose', async () => unsubscribe())
    const service = new ShellService(kernel, environments)
    app.decorate('shells', service)
    registerShellRoutes(app, service)
    registerEnvironmentRoutes(app, environments)
  },
})
