// The plugins a location runs besides the kernel's own: a plugin hosting other kinds of plugins
// (OpenCode's, in plugins/opencode-host/) lists them here for `GET /api/plugin`.
import { defineExtensionPoint } from '../kernel/core/extensions.js'
import type { Instance } from '../kernel/instances/instance.js'

/** Where a plugin comes from, as OpenCode 2.1's `Plugin.Source` says it. */
export type PluginSourceInfo =
  | { type: 'builtin' }
  | { type: 'package'; target: string; version?: string }
  | { type: 'local'; path: string }
  | { type: 'sdk' }

/** One plugin as `GET /api/plugin` lists it (OpenCode 2.1's `Plugin.Info`). */
export interface PluginInventoryEntry {
  id?: string
  source: PluginSourceInfo
  features: { server?: true; tui?: true; rpc?: true }
  state: { status: 'active' } | { status: 'failed'; error: string; ref?: string }
  /** For a package plugin: the file it was loaded from, to find its installed `package.json`. */
  entry?: string
}

/** Lists the plugins one location runs (loading them first if need be). */
export interface PluginInventorySource {
  plugins(instance: Instance): Promise<readonly PluginInventoryEntry[]>
}

export const PluginInventory = defineExtensionPoint<PluginInventorySource>('plugin.inventory')
