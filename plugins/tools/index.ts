import { definePlugin } from '../../kernel/plugin.js'
import { createToolEnv } from './env.js'
import { readTool } from './read.js'

/** The built-in tools, registered in the kernel's tool registry. */
export default definePlugin({
  name: 'tools',
  register(app, kernel) {
    const env = createToolEnv(app, kernel)
    kernel.tools.register('tools', readTool(env))
  },
})
