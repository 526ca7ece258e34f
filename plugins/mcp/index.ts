import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { registerMcpRoutes } from './routes.js'
import { registerMcpV21Routes } from './http/v21-routes.js'
import { McpResource, McpServerNotFoundErrorBody, McpStatus } from './schemas.js'
import { McpService } from './service.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = [
  'paths',
  'bus',
  'instances',
  'tools',
  'processes',
  'env',
  'publish',
  'config',
] as const satisfies readonly KernelMember[]
export type McpKernel = PluginKernel<(typeof needs)[number]>

/** MCP servers (local over stdio, remote over Streamable HTTP or SSE) and their tools. */
export default definePlugin({
  name: 'mcp',
  dependencies: ['config'],
  needs,
  register(app, kernel) {
    registerSchemas(app, [McpStatus, McpResource, McpServerNotFoundErrorBody])
    const service = new McpService(kernel)
    kernel.tools.addSource('mcp', (instance) => service.tools(instance))
    // A changed project config reconnects its servers on next use.
    const unsubscribe = kernel.bus.subscribe((event) => {
      if (event.payload.type !== 'config.updated' || !kernel.instances.has(event.directory)) return
      void kernel.instances.get(event.directory).then((instance) => instance.resetState('mcp'))
    })
    app.addHook('onClose', async () => unsubscribe())
    registerMcpRoutes(app, service)
    registerMcpV21Routes(app, service)
  },
})
