import { definePlugin, registerSchemas } from '../../sdk/index.js'
import { registerProjectRoutes } from './routes.js'
import { PROJECT_SCHEMAS } from './schemas.js'
import { createProjectService } from './service.js'

/**
 * Projects: one per repository (id = root commit, `global` outside git), kept in SQLite with a
 * name, icon and commands the user sets. A row is recorded when an instance boots.
 */
export default definePlugin({
  name: 'project',
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
    registerSchemas(app, PROJECT_SCHEMAS)
    const service = createProjectService(kernel)
    kernel.onInstanceBoot((instance) => void service.record(instance))
    app.decorate('projects', service)
    registerProjectRoutes(app, service)
  },
})
