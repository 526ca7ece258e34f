import { defineExtensionPoint, type Kernel } from '../kernel/plugin.js'
import type { Instance } from '../kernel/instance.js'

/**
 * Runs named hooks (OpenCode's `trigger(name, input, output)`): each hook may mutate `output`,
 * which the caller then uses. Throws when a hook refuses (a `tool.execute.before` guard).
 * `kernel.extensions.provide(PluginHooks, 'my-plugin', { trigger })`.
 */
export interface PluginHookRunner {
  trigger(instance: Instance, name: string, input: Record<string, unknown>, output: object): Promise<void>
}

export const PluginHooks = defineExtensionPoint<PluginHookRunner>('plugin.hooks')

/** Fires hook `name` through every runner and returns `output` (mutated by the hooks). */
export async function triggerHook<O extends object>(kernel: Kernel, instance: Instance, name: string, input: Record<string, unknown>, output: O): Promise<O> {
  for (const runner of kernel.extensions.get(PluginHooks)) await runner.trigger(instance, name, input, output)
  return output
}
