import type { FastifyInstance } from 'fastify'
import fastifyPlugin from 'fastify-plugin'
import { PluginLoadError } from '../core/errors.js'
import type { KernelRuntime } from '../core/kernel-runtime.js'
import type { Kernel } from '../core/kernel-api.js'
import { kernelFor } from '../core/plugin-definition.js'
import type { LoadedPlugin } from '../core/plugin-loader.js'

/**
 * Registers every plugin, in the order given (dependencies first), each with the kernel it asked
 * for (`needs`). A built-in plugin that fails stops start-up naming it; a third-party one is
 * reported to `onPluginFailure` and left out.
 */
export async function registerPlugins(
  app: FastifyInstance,
  kernel: KernelRuntime,
  plugins: readonly LoadedPlugin[],
  onPluginFailure: (plugin: LoadedPlugin, error: Error) => void,
): Promise<void> {
  for (const plugin of plugins) {
    const { definition } = plugin
    let view: Kernel | undefined
    try {
      view = kernelFor(kernel, definition)
    } catch (error) {
      if (plugin.builtin) throw error
      onPluginFailure(plugin, error as Error)
    }
    const register = async (scope: FastifyInstance) => {
      // Left out (its needs named no kernel member), yet known by name to those depending on it.
      if (!view) return
      if (plugin.builtin) return definition.register(scope, view)
      try {
        await definition.register(scope, view)
      } catch (error) {
        onPluginFailure(plugin, error as Error)
      }
    }
    // Plugins share the root scope so their schemas and decorators are visible to the others.
    try {
      await app.register(
        fastifyPlugin(register, { name: definition.name, dependencies: [...(definition.dependencies ?? [])] }),
      )
    } catch (error) {
      throw new PluginLoadError(definition.name, `failed to register: ${(error as Error).message}`, { cause: error })
    }
  }
}
