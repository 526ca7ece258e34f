import { definePlugin, registerSchemas, type KernelMember } from '../../sdk/index.js'
import { RpcService } from './rpc-service.js'
import { registerPluginRoutes, registerRpcRoute } from './routes.js'
import { PLUGIN_SCHEMAS } from './schemas.js'

/** The kernel members this plugin uses (`needs`). */
const needs = ['extensions', 'plugins'] as const satisfies readonly KernelMember[]

/**
 * OpenCode 2.1's plugin surface: the plugins of a location (`GET /api/plugin`, check, update) and
 * the RPCs plugins serve (`POST /api/rpc/{rpcID}/{method}`, contributed through `RpcSources`).
 */
export default definePlugin({
  name: 'plugin',
  needs,
  register(app, kernel) {
    registerSchemas(app, PLUGIN_SCHEMAS)
    registerPluginRoutes(app, kernel)
    registerRpcRoute(app, new RpcService(kernel, kernel.log))
  },
})
