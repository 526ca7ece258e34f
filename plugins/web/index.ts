import { definePlugin } from '../../sdk/index.js'
import { registerWebRoutes } from './routes.js'

/**
 * The web app: a browser client built from `plugins/web/app` into `dist/web`, served from memory
 * with pre-compressed copies, plus the cookie login the browser needs (it cannot send Basic on
 * SSE and WebSockets).
 */
export default definePlugin({
  name: 'web',
  needs: [],
  register(app) {
    registerWebRoutes(app)
  },
})
