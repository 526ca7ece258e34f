import { definePlugin } from '../../kernel/plugin.js'
import { readTool } from './read.js'

/** The built-in tools, registered in the kernel's tool registry. */
export default definePlugin({
  name: 'tools',
  register(_app, kernel) {
    kernel.tools.register('tools', readTool)
  },
})
