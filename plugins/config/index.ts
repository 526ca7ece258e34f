import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { registerConfigRoutes } from './routes.js'
import { CONFIG_SCHEMAS, ConfigInvalidErrorBody } from './schemas.js'
import { createConfigService } from './service.js'
import { registerConfigV2Routes, ReferenceInfo } from './v2-routes.js'
import { ConfigEntry, ConfigShellOption, registerConfigV21Routes } from './v21-routes.js'
import { createStrictValidator } from './validator.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = [
  'paths',
  'instances',
  'env',
  'publish',
  'config',
  'loadedConfig',
  'invalidateConfig',
] as const satisfies readonly KernelMember[]
export type ConfigKernel = PluginKernel<(typeof needs)[number]>

/**
 * OpenCode's config: the `Config` schema, the merged config of a project and the global one,
 * and PATCH routes that edit the files in place (comments kept). Loading and merging is the
 * kernel's (`kernel.config()`); this plugin checks the result against the schema.
 */
export default definePlugin({
  name: 'config',
  needs,
  register(app, kernel) {
    registerSchemas(app, [...CONFIG_SCHEMAS, ConfigInvalidErrorBody, ReferenceInfo, ConfigEntry, ConfigShellOption])
    const validator = createStrictValidator(CONFIG_SCHEMAS)
    const service = createConfigService(kernel, validator)
    app.decorate('configuration', service)
    registerConfigRoutes(app, service, validator)
    registerConfigV2Routes(app, kernel, service)
    registerConfigV21Routes(app, kernel, service)
  },
})
