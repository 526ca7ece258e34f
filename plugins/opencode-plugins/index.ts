import { definePlugin, registerSchemas } from '../../sdk/index.js'
import { PluginHooks } from '../../sdk/hooks.js'
import { ProviderAuthLoaders } from '../../sdk/provider.js'
import { registerRoutes } from './routes.js'
import { OpencodePluginInfo } from './schemas.js'
import { OpencodePlugins } from './service.js'

/**
 * Hosts plugins written for OpenCode (`@opencode-ai/plugin`): found in config `plugin` and
 * `.opencode/plugin(s)/`, loaded per instance, their tools in the tool registry and their hooks
 * run through the `PluginHooks` extension point.
 */
export default definePlugin({
  name: 'opencode-plugins',
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
    registerSchemas(app, [OpencodePluginInfo])
    const plugins = new OpencodePlugins(app, kernel)
    kernel.extensions.provide(PluginHooks, 'opencode-plugins', {
      trigger: (instance, name, input, output) =>
        plugins.trigger(instance, name, input, output as Record<string, unknown>),
      handles: (instance, name) => plugins.handles(instance, name),
    })
    kernel.extensions.provide(ProviderAuthLoaders, 'opencode-plugins', {
      load: ({ instance, providerID, credentials, provider }) =>
        plugins.authOptions(instance, providerID, credentials, provider),
    })
    kernel.tools.addSource('opencode-plugins', (instance) => plugins.tools(instance))
    kernel.onInstanceBoot((instance) => {
      plugins.watch(instance)
      void plugins.offerLogins(instance)
    })
    registerRoutes(app, plugins)
  },
})
