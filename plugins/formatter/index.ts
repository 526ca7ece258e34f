import { definePlugin } from '../../kernel/plugin.js'
import { registerSchemas } from '../../kernel/schemas.js'
import { registerFormatterRoutes } from './routes.js'
import { FormatterStatus } from './schemas.js'

/** Formatters: the built-in table with config `formatter` applied, and which are installed. */
export default definePlugin({
  name: 'formatter',
  register(app, kernel) {
    registerSchemas(app, [FormatterStatus])
    registerFormatterRoutes(app, kernel)
  },
})
