import { defineExtensionPoint } from '../kernel/core/extensions.js'
import type { Kernel } from '../kernel/core/kernel-api.js'
import type { Instance } from '../kernel/instances/instance.js'

/**
 * Runs named hooks (OpenCode's `trigger(name, input, output)`): each hook may mutate `output`,
 * which the caller then uses. Throws when a hook refuses (a `tool.execute.before` guard).
 * `kernel.extensions.provide(PluginHooks, 'my-plugin', { trigger })`.
 */
export interface PluginHookRunner {
  trigger(instance: Instance, name: string, input: Record<string, unknown>, output: object): Promise<void>
  /** Whether any hook named `name` would run (absent: assume so). Lets callers skip copying what a hook may change. */
  handles?(instance: Instance, name: string): Promise<boolean>
}

export const PluginHooks = defineExtensionPoint<PluginHookRunner>('plugin.hooks')

/** Fires hook `name` through every runner and returns `output` (mutated by the hooks). */
export async function triggerHook<O extends object>(
  kernel: Pick<Kernel, 'extensions'>,
  instance: Instance,
  name: string,
  input: Record<string, unknown>,
  output: O,
): Promise<O> {
  for (const runner of kernel.extensions.get(PluginHooks)) await runner.trigger(instance, name, input, output)
  return output
}

/** Whether hook `name` may run for `instance` (some runner has it, or cannot say). */
export async function hasHook(kernel: Pick<Kernel, 'extensions'>, instance: Instance, name: string): Promise<boolean> {
  for (const runner of kernel.extensions.get(PluginHooks))
    if (!runner.handles || (await runner.handles(instance, name))) return true
  return false
}
