import { definePlugin, registerSchemas } from '../../sdk/index.js'
import { registerMcpRoutes } from './routes.js'
import { McpResource, McpStatus } from './schemas.js'
import { McpService } from './service.js'

/** MCP servers (local over stdio, remote over Streamable HTTP or SSE) and their tools. */
export default definePlugin({
  name: 'mcp',
  dependencies: ['config'],
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
    registerSchemas(app, [McpStatus, McpResource])
    const service = new McpService(kernel)
    kernel.tools.addSource('mcp', (instance) => service.tools(instance))
    // A changed project config reconnects its servers on next use.
    const unsubscribe = kernel.bus.subscribe((event) => {
      if (event.payload.type !== 'config.updated' || !kernel.instances.has(event.directory)) return
      void kernel.instances.get(event.directory).then((instance) => instance.resetState('mcp'))
    })
    app.addHook('onClose', async () => unsubscribe())
    registerMcpRoutes(app, service)
  },
})
