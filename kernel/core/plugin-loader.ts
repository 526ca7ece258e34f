// The plugin loader of kernel plugins (`definePlugin`): finds the built-in ones and the third-party
// entries, checks and orders them. Plugins written for OpenCode are hosted by plugins/opencode-host/.
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import semver from 'semver'
import { PluginLoadError } from './errors.js'
import { isPluginDefinition, type PluginDefinition } from './plugin-definition.js'
import type { PluginEntry } from './kernel-api.js'

/** A plugin found at start: its definition and where it came from. */
export interface LoadedPlugin {
  definition: PluginDefinition
  source: string
  /** Built-in plugins stop startup when broken; third-party ones are skipped. */
  builtin: boolean
}

export interface PluginFailure {
  plugin: string
  source: string
  error: Error
  /** Not a kernel plugin (an OpenCode plugin): left to the plugin that hosts those. */
  foreign?: boolean
}

/** Imports a plugin entry's module; with `version` (dev mode) see dev-loader.ts. */
async function importModule(file: string, version?: number): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file)
  if (version !== undefined) {
    // The entry and the modules of its own folder are evaluated afresh; kernel and sdk modules are shared.
    url.searchParams.set('v', String(version))
    url.searchParams.set('root', pathToFileURL(dirname(file)).href + '/')
  }
  return (await import(url.href)) as Record<string, unknown>
}

/** A module as the kernel sees it: a kernel plugin, a module for another host, or neither. */
export function classifyModule(
  module: Record<string, unknown>,
): { kind: 'kernel'; definition: PluginDefinition } | { kind: 'foreign' | 'broken' } {
  const definition = module.default ?? module.plugin
  if (isPluginDefinition(definition)) return { kind: 'kernel', definition }
  // OpenCode plugin modules (function exports, `{id, server}`) share config `plugin` with kernel plugins.
  const main = module.default as Record<string, unknown> | undefined
  const foreign =
    Object.values(module).some((value) => typeof value === 'function') ||
    (typeof main === 'object' && main !== null && ('server' in main || 'id' in main))
  return { kind: foreign ? 'foreign' : 'broken' }
}

/** One entry read: how it is recorded, and its definition or why it is not a kernel plugin. */
interface EntryReading {
  entry: PluginEntry
  definition?: PluginDefinition
  error?: PluginLoadError
}

/** Imports and classifies one resolved entry, once. */
async function readEntry(label: string, file: string, version?: number): Promise<EntryReading> {
  let module: Record<string, unknown>
  try {
    module = await importModule(file, version)
  } catch (error) {
    // Not importable by Node (a TypeScript entry): another host's business, as a foreign module is.
    const foreign = (error as { code?: string }).code === 'ERR_UNKNOWN_FILE_EXTENSION'
    return {
      entry: { specifier: label, file, kind: foreign ? 'foreign' : 'broken' },
      error: new PluginLoadError(label, `cannot be imported from ${file}: ${(error as Error).message}`, {
        cause: error,
        foreign,
      }),
    }
  }
  const shape = classifyModule(module)
  const entry: PluginEntry = { specifier: label, file, kind: shape.kind, module }
  if (shape.kind === 'kernel') return { entry, definition: shape.definition }
  const error = new PluginLoadError(
    label,
    `${file} does not export a plugin (default export of definePlugin({ name, register }))`,
    { foreign: shape.kind === 'foreign' },
  )
  return { entry, error }
}

/** Imports a built-in plugin's entry; throws when it is not a kernel plugin. */
async function importDefinition(file: string, label: string, version?: number): Promise<PluginDefinition> {
  const { definition, error } = await readEntry(label, file, version)
  if (!definition) throw error
  return definition
}

function pluginEntry(dir: string): string | undefined {
  for (const name of ['index.js', 'index.ts']) {
    const file = join(dir, name)
    if (existsSync(file)) return file
  }
  return undefined
}

/** Finds `<dir>/*\/index.(js|ts)` in each built-in plugin folder; `only` limits by folder name. */
export async function discoverBuiltinPlugins(
  dirs: readonly string[],
  only?: readonly string[],
  version?: number,
): Promise<LoadedPlugin[]> {
  const found: LoadedPlugin[] = []
  for (const dir of dirs) {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry)
      if (!statSync(path).isDirectory()) continue
      if (only && !only.includes(entry)) continue
      const file = pluginEntry(path)
      if (!file) continue
      found.push({ definition: await importDefinition(file, entry, version), source: file, builtin: true })
    }
  }
  return found
}

function packageEntry(packageDir: string): string {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    exports?: unknown
    module?: string
    main?: string
  }
  const pick = (value: unknown): string | undefined => {
    if (typeof value === 'string') return value
    if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>
      return pick(record['.']) ?? pick(record.import) ?? pick(record.node) ?? pick(record.default)
    }
    return undefined
  }
  return join(packageDir, pick(manifest.exports) ?? manifest.module ?? manifest.main ?? 'index.js')
}

/** Resolves a config `plugin` entry: a path (relative to `root`), a file URL, or a package name. */
export function resolvePluginSpecifier(specifier: string, root: string): string {
  if (specifier.startsWith('file://')) return new URL(specifier).pathname
  if (specifier.startsWith('.') || isAbsolute(specifier)) {
    const path = resolve(root, specifier)
    if (existsSync(path) && statSync(path).isDirectory()) {
      return existsSync(join(path, 'package.json')) ? packageEntry(path) : (pluginEntry(path) ?? join(path, 'index.js'))
    }
    return path
  }
  // Packages resolve from the project root, as the project's own code would import them.
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!
  let dir = root
  for (;;) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) {
      return specifier === name ? packageEntry(candidate) : join(candidate, specifier.slice(name.length + 1))
    }
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  return createRequire(join(root, 'package.json')).resolve(specifier)
}

/** What reading the third-party plugin entries gave. */
export interface ThirdPartyPlugins {
  /** The kernel plugins among them. */
  plugins: LoadedPlugin[]
  failures: PluginFailure[]
  /** Every entry that resolved to a file, with its module: `Kernel.pluginEntry` answers from them. */
  entries: PluginEntry[]
}

/**
 * Reads third-party plugin entries (config `plugin`, `ServerOptions.plugins`), each once:
 * resolves it, imports it and classifies it. Kernel plugins are loaded; the other entries are
 * kept, module included, for the plugin that hosts OpenCode plugins (which reads per-instance
 * config itself, but takes these modules instead of importing the same files again). A broken
 * entry is reported and left out.
 */
export async function readThirdPartyPlugins(
  specifiers: readonly string[],
  root: string,
  version?: number,
): Promise<ThirdPartyPlugins> {
  const result: ThirdPartyPlugins = { plugins: [], failures: [], entries: [] }
  for (const specifier of specifiers) {
    let file: string
    try {
      file = resolvePluginSpecifier(specifier, root)
    } catch (error) {
      result.failures.push({ plugin: specifier, source: specifier, error: error as Error, foreign: false })
      continue
    }
    const { entry, definition, error } = await readEntry(specifier, file, version)
    result.entries.push(entry)
    if (definition) result.plugins.push({ definition, source: specifier, builtin: false })
    else result.failures.push({ plugin: specifier, source: specifier, error: error!, foreign: error!.foreign })
  }
  return result
}

/** The entry that resolved to `file` (the same path, or the same file through a symlink). */
export function findPluginEntry(entries: readonly PluginEntry[], file: string): PluginEntry | undefined {
  const exact = entries.find((entry) => entry.file === file)
  if (exact || entries.length === 0) return exact
  const real = realPath(file)
  return entries.find((entry) => realPath(entry.file) === real)
}

function realPath(file: string): string {
  try {
    return realpathSync(file)
  } catch {
    return file
  }
}

type Reject = (plugin: LoadedPlugin, message: string) => void

/** The plugins by name, without those whose name is malformed or taken or whose kernel range excludes this kernel. */
function admitPlugins(
  plugins: readonly LoadedPlugin[],
  kernelVersion: string,
  reject: Reject,
): Map<string, LoadedPlugin> {
  const byName = new Map<string, LoadedPlugin>()
  for (const plugin of plugins) {
    const { name, kernel } = plugin.definition
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
      reject(plugin, 'name must be kebab-case (lowercase letters, digits and dashes)')
      continue
    }
    const taken = byName.get(name)
    if (taken) {
      reject(plugin, `name is already used by ${taken.source}`)
      continue
    }
    if (kernel && !semver.satisfies(kernelVersion, kernel, { includePrerelease: true })) {
      reject(plugin, `needs kernel ${kernel}, this is ${kernelVersion}`)
      continue
    }
    byName.set(name, plugin)
  }
  return byName
}

/** Drops the plugins whose dependencies are not loaded. */
function dropMissingDependencies(byName: Map<string, LoadedPlugin>, reject: Reject): void {
  // Repeat: dropping one plugin can strand the plugins that depend on it.
  let changed = true
  while (changed) {
    changed = false
    for (const [name, plugin] of byName) {
      const missing = (plugin.definition.dependencies ?? []).filter((dependency) => !byName.has(dependency))
      if (missing.length === 0) continue
      byName.delete(name)
      changed = true
      reject(
        plugin,
        `depends on ${missing.map((m) => `"${m}"`).join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not loaded`,
      )
    }
  }
}

/** A topological order, or the names forming a cycle. */
function topologicalOrder(byName: Map<string, LoadedPlugin>): { ordered: LoadedPlugin[] } | { cycle: string[] } {
  const ordered: LoadedPlugin[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (name: string, path: string[]): string[] | undefined => {
    if (state.get(name) === 'done') return undefined
    if (state.get(name) === 'visiting') return [...path.slice(path.indexOf(name)), name]
    state.set(name, 'visiting')
    const plugin = byName.get(name)!
    for (const dependency of plugin.definition.dependencies ?? []) {
      const cycle = visit(dependency, [...path, name])
      if (cycle) return cycle
    }
    state.set(name, 'done')
    ordered.push(plugin)
    return undefined
  }
  for (const name of byName.keys()) {
    const cycle = visit(name, [])
    if (cycle) return { cycle }
  }
  return { ordered }
}

/** Drops every member of a cycle; a built-in one stops startup. */
function dropCycle(byName: Map<string, LoadedPlugin>, cycle: string[], reject: Reject): void {
  const message = `dependency cycle: ${cycle.join(' -> ')}`
  const members = [...new Set(cycle)]
  const builtin = members.find((member) => byName.get(member)?.builtin)
  if (builtin) throw new PluginLoadError(builtin, message)
  for (const member of members) {
    const plugin = byName.get(member)!
    byName.delete(member)
    reject(plugin, message)
  }
}

/**
 * Checks names, dependencies, kernel ranges and cycles, and orders plugins so each comes after
 * what it depends on. A built-in plugin that fails a check throws; a third-party one is dropped
 * (with whatever depends on it) and reported.
 */
export function orderPlugins(
  plugins: readonly LoadedPlugin[],
  kernelVersion: string,
): { ordered: LoadedPlugin[]; failures: PluginFailure[] } {
  const failures: PluginFailure[] = []
  const reject: Reject = (plugin, message) => {
    const error = new PluginLoadError(plugin.definition.name, message)
    if (plugin.builtin) throw error
    failures.push({ plugin: plugin.definition.name, source: plugin.source, error })
  }
  const byName = admitPlugins(plugins, kernelVersion, reject)
  for (;;) {
    dropMissingDependencies(byName, reject)
    const result = topologicalOrder(byName)
    if ('ordered' in result) return { ordered: result.ordered, failures }
    dropCycle(byName, result.cycle, reject)
  }
}
