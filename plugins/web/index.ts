import { definePlugin, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { registerWebRoutes } from './routes.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = [] as const satisfies readonly KernelMember[]
export type WebKernel = PluginKernel<(typeof needs)[number]>

/**
 * The web app: a browser client built from `plugins/web/app` into `dist/web`, served from memory
 * with pre-compressed copies, plus the cookie login the browser needs (it cannot send Basic on
 * SSE and WebSockets).
 */
export default definePlugin({
  name: 'web',
  needs,
  register(app) {
    registerWebRoutes(app)
  },
})
