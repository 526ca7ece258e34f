import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { registerFormatterRoutes } from './routes.js'
import { FormatterStatus } from './schemas.js'
import { formatFile } from './run.js'
import { FileEditHook } from '../../sdk/tools.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['extensions', 'processes', 'env', 'config'] as const satisfies readonly KernelMember[]
export type FormatterKernel = PluginKernel<(typeof needs)[number]>

/** Formatters: the built-in table with config `formatter` applied, which are installed, and formatting after edits. */
export default definePlugin({
  name: 'formatter',
  needs,
  register(app, kernel) {
    registerSchemas(app, [FormatterStatus])
    registerFormatterRoutes(app, kernel)
    // After the write, edit and apply_patch tools change a file.
    kernel.extensions.provide(FileEditHook, 'formatter', ({ instance, file, signal }) =>
      formatFile(kernel, instance, file, signal),
    )
  },
})
