import { definePlugin, type Instance, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { ControlQueue } from './control.js'
import { registerTuiRoutes } from './routes.js'
import type { TuiApi } from './types.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['publish'] as const satisfies readonly KernelMember[]
export type TuiKernel = PluginKernel<(typeof needs)[number]>

/** Remote control of a TUI attached to this server: events it acts on, and a request queue it polls. */
export default definePlugin({
  name: 'tui',
  dependencies: ['session'],
  needs,
  register(app, kernel) {
    const queue = (instance: Instance) =>
      instance.state(
        'tui.control',
        () => new ControlQueue(),
        async (q) => q.close(),
      )
    const api: TuiApi = { request: (instance, path, body) => queue(instance).request({ path, body }) }
    app.decorate('tui', api)
    registerTuiRoutes(app, kernel, queue)
  },
})
