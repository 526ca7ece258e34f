// The plugins of a location as OpenCode 2.1's `GET /api/plugin` lists them: the kernel's own
// plugins (built-in and third-party), then what plugin hosts (OpenCode plugins) contribute.
import type { PluginKernel } from '../../sdk/index.js'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, isAbsolute, join } from 'node:path'
import { PluginInventory, type PluginInventoryEntry } from '../../sdk/plugin-inventory.js'
import { RpcSources } from '../../sdk/rpc.js'
import type { Instance, KernelPluginInfo } from '../../sdk/index.js'

export type InventoryKernel = PluginKernel<'extensions' | 'plugins'>

/** A package plugin of the inventory, with where its installed `package.json` is looked for. */
export type PackageEntry = PluginInventoryEntry & { source: { type: 'package'; target: string; version?: string } }

function isPath(specifier: string): boolean {
  return specifier.startsWith('.') || specifier.startsWith('file:') || isAbsolute(specifier)
}

/** `name`, `name@1.2`, `@scope/name@^1`, `name/sub/path` → the package name. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/')
  const name = specifier.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : parts[0]!
  const at = name.indexOf('@', 1)
  return at === -1 ? name : name.slice(0, at)
}

/**
 * The version in the installed `package.json` of package `name` above `file` (read afresh, so an
 * `npm update` since start shows), or undefined.
 */
export function installedVersion(file: string | undefined, name: string): string | undefined {
  if (!file) return undefined
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest)) {
      try {
        const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown; version?: unknown }
        if (parsed.name === name) return typeof parsed.version === 'string' ? parsed.version : undefined
      } catch {
        // Not JSON: keep looking further up.
      }
    }
    if (dirname(dir) === dir) return undefined
  }
}

function kernelEntry(plugin: KernelPluginInfo, rpcPlugins: ReadonlySet<string>): PluginInventoryEntry {
  const specifier = plugin.specifier ?? plugin.name
  const source: PluginInventoryEntry['source'] = plugin.builtin
    ? { type: 'builtin' }
    : isPath(specifier)
      ? { type: 'local', path: plugin.file ?? specifier }
      : { type: 'package', target: specifier, ...versionOf(plugin) }
  return {
    id: plugin.name,
    source,
    features: { server: true, ...(rpcPlugins.has(plugin.name) ? { rpc: true } : {}) },
    state: plugin.status === 'active' ? { status: 'active' } : { status: 'failed', error: plugin.error ?? 'failed' },
    ...(plugin.file ? { entry: plugin.file } : {}),
  }
}

function versionOf(plugin: KernelPluginInfo): { version?: string } {
  const version = installedVersion(plugin.file, packageName(plugin.specifier ?? plugin.name)) ?? plugin.version
  return version ? { version } : {}
}

/** Every plugin of `instance`: the kernel's, then each plugin host's (its own plugins loaded first). */
export async function inventory(kernel: InventoryKernel, instance: Instance): Promise<PluginInventoryEntry[]> {
  const rpcPlugins = new Set(kernel.extensions.get(RpcSources).map((source) => source.plugin))
  const entries = kernel.plugins().map((plugin) => kernelEntry(plugin, rpcPlugins))
  // A config entry no host could load is tried by each: it is listed once, as the kernel found it.
  const files = new Set(entries.map((entry) => entry.entry).filter((file) => file !== undefined))
  for (const source of kernel.extensions.get(PluginInventory))
    for (const entry of await source.plugins(instance)) if (!entry.entry || !files.has(entry.entry)) entries.push(entry)
  return entries
}

/** The package plugins among `entries` that `target` names (as configured, or by package name). */
export function packagesNamed(entries: readonly PluginInventoryEntry[], target: string): PackageEntry[] {
  return entries.filter(
    (entry): entry is PackageEntry =>
      entry.source.type === 'package' &&
      (entry.source.target === target || packageName(entry.source.target) === packageName(target)),
  )
}

/** An entry as the API shows it (without the server-side `entry` path). */
export function publicEntry({ entry: _entry, ...rest }: PluginInventoryEntry): Omit<PluginInventoryEntry, 'entry'> {
  return rest
}
