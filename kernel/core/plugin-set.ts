import type { FastifyBaseLogger } from 'fastify'
import { loadConfig } from '../instances/config.js'
import type { KernelPluginInfo, PluginEntry } from './kernel-api.js'
import { discoverBuiltinPlugins, orderPlugins, readThirdPartyPlugins, type LoadedPlugin } from './plugin-loader.js'
import { KERNEL_VERSION } from './version.js'

export interface PluginSetOptions {
  log: FastifyBaseLogger
  env: NodeJS.ProcessEnv
  /** The server's directory: its config names the third-party plugins. */
  cwd: string
  /** The repository root above `cwd` (config is searched up to it); undefined outside one. */
  gitRoot: string | undefined
  /** Folders holding built-in plugins (`<dir>/<name>/index.js`). */
  pluginDirs: readonly string[]
  /** Built-in plugins already loaded (the bundled build); skips discovery, except in dev mode. */
  builtins?: readonly LoadedPlugin[]
  /** Load only these built-in plugins (by folder name). */
  only?: readonly string[]
  dev?: boolean
  /** Third-party plugins besides those named in config `plugin`. */
  plugins?: readonly string[]
}

/** The plugins a server registers, and those it leaves out. */
export interface PluginSet {
  /** Every plugin, in registration order (dependencies first). */
  ordered: LoadedPlugin[]
  /** Third-party plugins left out, with why (`source`: the entry as written, when known). */
  skipped: { plugin: string; source?: string; error: Error }[]
  /** The third-party plugins asked for: config `plugin`, then `plugins`. */
  thirdParty: string[]
  /** How each third-party entry was read (imported once; the OpenCode plugin host reuses it). */
  entries: readonly PluginEntry[]
}

/** The third-party plugins config `plugin` names; none when config cannot be read (logged). */
function configuredPlugins(options: PluginSetOptions): string[] {
  try {
    const plugin = loadConfig(options.cwd, options.gitRoot, options.env).config.plugin
    if (Array.isArray(plugin)) return plugin.filter((entry): entry is string => typeof entry === 'string')
  } catch (error) {
    options.log.error({ err: error }, 'config could not be read; no third-party plugins loaded')
  }
  return []
}

/** Every plugin, checked and in registration order; `version` (dev mode) imports them afresh. */
export async function loadPlugins(options: PluginSetOptions, version?: number): Promise<PluginSet> {
  const { log } = options
  const builtins =
    options.builtins && !options.dev
      ? [...options.builtins]
      : await discoverBuiltinPlugins(options.pluginDirs, options.only, version)
  const requested = [...configuredPlugins(options), ...(options.plugins ?? [])]
  const worktree = options.gitRoot ?? options.cwd
  const thirdParty = await readThirdPartyPlugins(requested, worktree, version)
  const { ordered, failures } = orderPlugins([...builtins, ...thirdParty.plugins], KERNEL_VERSION)
  for (const { plugin } of thirdParty.failures.filter((failure) => failure.foreign))
    log.debug({ plugin }, `"${plugin}" is not a kernel plugin; left to the opencode-plugins plugin`)
  const skipped = [...thirdParty.failures.filter((failure) => !failure.foreign), ...failures].map(
    ({ plugin, source, error }) => ({ plugin, source, error }),
  )
  for (const { plugin, error } of skipped)
    log.error({ plugin, err: error }, `third-party plugin "${plugin}" skipped: ${error.message}`)
  return { ordered, skipped, thirdParty: requested, entries: thirdParty.entries }
}

/**
 * What `Kernel.plugins()` answers for a plugin set: every plugin in registration order (failed
 * when it is also in `skipped`, e.g. its `register` threw), then the entries left out before.
 */
export function describePlugins(
  set: Pick<PluginSet, 'ordered' | 'entries'>,
  skipped: readonly { plugin: string; source?: string; error: Error }[],
): KernelPluginInfo[] {
  const fileOf = (specifier: string) => set.entries.find((entry) => entry.specifier === specifier)?.file
  const errors = new Map(skipped.map(({ plugin, error }) => [plugin, error.message]))
  const described = set.ordered.map(({ definition, source, builtin }): KernelPluginInfo => {
    const error = errors.get(definition.name)
    const file = builtin ? source : fileOf(source)
    return {
      name: definition.name,
      builtin,
      ...(builtin ? {} : { specifier: source }),
      ...(file ? { file } : {}),
      ...(definition.version ? { version: definition.version } : {}),
      ...(error === undefined ? { status: 'active' } : { status: 'failed', error }),
    }
  })
  const names = new Set(described.map((plugin) => plugin.name))
  for (const { plugin, source = plugin, error } of skipped) {
    if (names.has(plugin)) continue
    names.add(plugin)
    const file = fileOf(source)
    described.push({
      name: plugin,
      builtin: false,
      specifier: source,
      ...(file ? { file } : {}),
      status: 'failed',
      error: error.message,
    })
  }
  return described
}
