import { definePlugin, registerSchemas } from '../../sdk/index.js'
import { registerFormatterRoutes } from './routes.js'
import { FormatterStatus } from './schemas.js'
import { formatFile } from './run.js'
import { FileEditHook } from '../../sdk/tools.js'

/** Formatters: the built-in table with config `formatter` applied, which are installed, and formatting after edits. */
export default definePlugin({
  name: 'formatter',
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
    registerSchemas(app, [FormatterStatus])
    registerFormatterRoutes(app, kernel)
    // After the write, edit and apply_patch tools change a file.
    kernel.extensions.provide(FileEditHook, 'formatter', ({ instance, file, signal }) =>
      formatFile(kernel, instance, file, signal),
    )
  },
})
