import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { registerConsoleRoutes } from './console.js'
import { registerCoreRoutes } from './routes.js'
import { Health, Path } from './schemas.js'
import { registerCoreV2Routes } from './v2-routes.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['paths', 'node'] as const satisfies readonly KernelMember[]
export type CoreKernel = PluginKernel<(typeof needs)[number]>

/** Health, paths, client logging, and OpenCode's console and upgrade routes (answered as unavailable). */
export default definePlugin({
  name: 'core',
  needs,
  register(app, kernel) {
    registerSchemas(app, [Health, Path])
    registerCoreRoutes(app, kernel)
    registerCoreV2Routes(app)
    registerConsoleRoutes(app, kernel)
  },
})
