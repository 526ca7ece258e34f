import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { registerConsoleRoutes } from './console.js'
import { registerCoreRoutes } from './routes.js'
import { Health, LocationPublicInfo, NodeInfo, Path, ServerInfo } from './schemas.js'
import { registerCoreV21Routes } from './v21-routes.js'
import { registerCoreV2Routes } from './v2-routes.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['paths', 'node'] as const satisfies readonly KernelMember[]
export type CoreKernel = PluginKernel<(typeof needs)[number]>

/**
 * Health, paths, client logging, OpenCode 2.1's server info and location, and OpenCode's console
 * and upgrade routes (answered as unavailable).
 */
export default definePlugin({
  name: 'core',
  needs,
  register(app, kernel) {
    registerSchemas(app, [Health, NodeInfo, Path, ServerInfo, LocationPublicInfo])
    registerCoreRoutes(app, kernel)
    registerCoreV2Routes(app)
    registerCoreV21Routes(app, kernel)
    registerConsoleRoutes(app, kernel)
  },
})
