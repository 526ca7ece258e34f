import { definePlugin } from '../../sdk/index.js'
import { registerShareRoutes } from './routes.js'
import { followSessions } from './service.js'
import { SHARE_MIGRATIONS, ShareStore } from './store.js'

/**
 * Session sharing without an external service: a share id maps to a session, and this server
 * serves it read-only at `/share/:shareID` (HTML, or JSON with `?format=json`).
 */
export default definePlugin({
  name: 'share',
  dependencies: ['session'],
  register(app, kernel) {
    kernel.storage.migrate('share', SHARE_MIGRATIONS)
    const store = new ShareStore(kernel.storage.db)
    const deps = { app, kernel, store }
    const unsubscribe = followSessions(deps)
    app.addHook('onClose', async () => unsubscribe())
    registerShareRoutes(app, deps)
  },
})
