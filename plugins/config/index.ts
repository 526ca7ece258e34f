import { definePlugin, registerSchemas } from '../../sdk/index.js'
import { registerConfigRoutes } from './routes.js'
import { CONFIG_SCHEMAS, ConfigInvalidErrorBody } from './schemas.js'
import { createConfigService } from './service.js'
import { registerConfigV2Routes, ReferenceInfo } from './v2-routes.js'
import { createStrictValidator } from './validator.js'

/**
 * OpenCode's config: the `Config` schema, the merged config of a project and the global one,
 * and PATCH routes that edit the files in place (comments kept). Loading and merging is the
 * kernel's (`kernel.config()`); this plugin checks the result against the schema.
 */
export default definePlugin({
  name: 'config',
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
    registerSchemas(app, [...CONFIG_SCHEMAS, ConfigInvalidErrorBody, ReferenceInfo])
    const validator = createStrictValidator(CONFIG_SCHEMAS)
    const service = createConfigService(kernel, validator)
    app.decorate('configuration', service)
    registerConfigRoutes(app, service, validator)
    registerConfigV2Routes(app, kernel, service)
  },
})
