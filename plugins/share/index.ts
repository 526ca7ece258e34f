import { definePlugin, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { registerShareRoutes } from './routes.js'
import { followSessions } from './service.js'
import { SHARE_MIGRATIONS, ShareStore } from './store.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['bus', 'storage', 'instances', 'config'] as const satisfies readonly KernelMember[]
export type ShareKernel = PluginKernel<(typeof needs)[number]>

/**
 * Session sharing without an external service: a share id maps to a session, and this server
 * serves it read-only at `/share/:shareID` (HTML, or JSON with `?format=json`).
 */
export default definePlugin({
  name: 'share',
  dependencies: ['session'],
  needs,
  register(app, kernel) {
    kernel.storage.migrate('share', SHARE_MIGRATIONS)
    const store = new ShareStore(kernel.storage.db)
    const deps = { app, kernel, store }
    const unsubscribe = followSessions(deps)
    app.addHook('onClose', async () => unsubscribe())
    registerShareRoutes(app, deps)
  },
})
