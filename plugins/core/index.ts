import { definePlugin, registerSchemas } from '../../sdk/index.js'
import { registerConsoleRoutes } from './console.js'
import { registerCoreRoutes } from './routes.js'
import { Health, Path } from './schemas.js'
import { registerCoreV2Routes } from './v2-routes.js'

/** Health, paths, client logging, and OpenCode's console and upgrade routes (answered as unavailable). */
export default definePlugin({
  name: 'core',
  needs: [
    'paths',
    'bus',
    'storage',
    'instances',
    'extensions',
    'tools',
    'processes',
    'env',
    'internalAuthorization',
    'dev',
    'publish',
    'config',
    'loadedConfig',
    'invalidateConfig',
    'onInstanceBoot',
    'reloading',
    'clustered',
    'node',
    'keep',
  ],
  register(app, kernel) {
    registerSchemas(app, [Health, Path])
    registerCoreRoutes(app, kernel)
    registerCoreV2Routes(app)
    registerConsoleRoutes(app, kernel)
  },
})
