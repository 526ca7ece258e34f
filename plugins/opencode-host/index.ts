import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { PluginHooks } from '../../sdk/hooks.js'
import { PluginInventory } from '../../sdk/plugin-inventory.js'
import { ProviderAuthLoaders } from '../../sdk/provider.js'
import { inventoryEntry } from './inventory.js'
import { registerRoutes } from './routes.js'
import { OpencodePluginInfo } from './schemas.js'
import { OpencodePluginHost } from './service.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = [
  'paths',
  'bus',
  'extensions',
  'tools',
  'env',
  'internalAuthorization',
  'dev',
  'loadedConfig',
  'onInstanceBoot',
  'pluginEntry',
] as const satisfies readonly KernelMember[]
export type OpencodeHostKernel = PluginKernel<(typeof needs)[number]>

/**
 * The OpenCode plugin host: runs plugins written for OpenCode (`@opencode-ai/plugin`), found in
 * config `plugin` and `.opencode/plugin(s)/`, loaded per instance, their tools in the tool
 * registry and their hooks run through the `PluginHooks` extension point. It keeps the name
 * `opencode-plugins` it has always been registered under; the folder says what it is.
 */
export default definePlugin({
  name: 'opencode-plugins',
  needs,
  register(app, kernel) {
    registerSchemas(app, [OpencodePluginInfo])
    const host = new OpencodePluginHost(app, kernel)
    kernel.extensions.provide(PluginHooks, 'opencode-plugins', {
      trigger: (instance, name, input, output) =>
        host.trigger(instance, name, input, output as Record<string, unknown>),
      handles: (instance, name) => host.handles(instance, name),
    })
    kernel.extensions.provide(ProviderAuthLoaders, 'opencode-plugins', {
      load: ({ instance, providerID, credentials, provider }) =>
        host.authOptions(instance, providerID, credentials, provider),
    })
    kernel.tools.addSource('opencode-plugins', (instance) => host.tools(instance))
    kernel.extensions.provide(PluginInventory, 'opencode-plugins', {
      plugins: async (instance) => (await host.records(instance)).map(inventoryEntry),
    })
    kernel.onInstanceBoot((instance) => {
      host.watch(instance)
      void host.offerLogins(instance)
    })
    registerRoutes(app, host)
  },
})
