// Loading the OpenCode plugins of one instance: where they are named, where their entry is, and
// each one imported and initialised into the instance's state.
import type { OpencodeHostKernel } from './index.js'
import { join } from 'node:path'
import { type ConfigSource, type Instance } from '../../sdk/index.js'
import { bounded, message } from './bounded.js'
import {
  configDirectories,
  discoverPlugins,
  findPackage,
  packageEntry,
  pathEntry,
  type PluginOrigin,
} from './discovery.js'
import { importPlugin, moduleShape, packageVersion, type PluginFn } from './module-loader.js'
import { pluginTool, type PluginToolDef } from './tools.js'
import type { Hooks, InstancePlugins, PluginRecord } from './types.js'

/** What loading one instance's plugins works with. */
export interface LoadContext {
  kernel: OpencodeHostKernel
  instance: Instance
  state: InstancePlugins
  /** The bound on each import and init. */
  timeoutMs: number
  /** The `PluginInput` every plugin function is called with. */
  input: Record<string, unknown>
}

function failedRecord(name: string, spec: string, origin: string, error: string): PluginRecord {
  return { name, source: 'file', spec, origin, status: 'failed', hooks: [], tools: [], error }
}

/**
 * The plugins the instance's config layers and plugin folders name, in OpenCode's order. Config
 * that cannot be read and malformed entries become failed records in `records`.
 */
export function instanceOrigins(
  kernel: OpencodeHostKernel,
  instance: Instance,
  records: PluginRecord[],
): PluginOrigin[] {
  let sources: ConfigSource[]
  try {
    sources = kernel.loadedConfig(instance).sources
  } catch (error) {
    records.push(failedRecord('config', '', '', message(error)))
    sources = []
  }
  const dirs = configDirectories(kernel.paths.config, instance.worktree, instance.directory, kernel.env)
  const { origins, errors } = discoverPlugins(sources, dirs)
  for (const error of errors) records.push(failedRecord(error.spec, error.spec, error.origin, error.error))
  return origins
}

/** Where a plugin's entry is: the file it names, or its package's entry found as OpenCode finds it. */
function resolveOrigin(
  kernel: OpencodeHostKernel,
  instance: Instance,
  origin: PluginOrigin,
): { entry: string; version?: string } {
  if (origin.kind === 'file') return { entry: pathEntry(origin.target) }
  const { paths, env } = kernel
  const dir = findPackage({
    name: origin.target,
    spec: origin.spec,
    directory: instance.directory,
    configDir: paths.config,
    env,
    home: paths.home,
  })
  if (!dir) {
    throw new Error(
      `package ${origin.target} is not installed; install it with \`npm install ${origin.spec}\` in ${instance.worktree} (or in ${paths.config})`,
    )
  }
  return { entry: packageEntry(dir), version: packageVersion(dir) }
}

/** Calls one plugin function and keeps the hooks and tools it returns. */
async function initialise(context: LoadContext, record: PluginRecord, plugin: PluginFn, origin: PluginOrigin) {
  const { state } = context
  const hooks = (await bounded(
    Promise.resolve().then(() => plugin(context.input, origin.options)),
    context.timeoutMs,
    `initialising ${origin.spec}`,
  )) as Hooks | undefined
  if (!hooks || typeof hooks !== 'object') return
  state.loaded.push({ name: record.name, hooks })
  for (const key of Object.keys(hooks)) if (!record.hooks.includes(key)) record.hooks.push(key)
  const tools = hooks.tool
  if (!tools || typeof tools !== 'object') return
  for (const [id, def] of Object.entries(tools as Record<string, PluginToolDef>)) {
    if (!def || typeof def.execute !== 'function') continue
    state.tools.set(id, await pluginTool(id, def))
    record.tools.push(id)
  }
}

/** Loads one plugin into the instance's state; undefined for a kernel plugin (the kernel loaded it). */
export async function loadOrigin(context: LoadContext, origin: PluginOrigin): Promise<PluginRecord | undefined> {
  const { kernel, instance } = context
  const record: PluginRecord = {
    name: origin.target,
    source: origin.kind === 'package' ? 'npm' : 'file',
    spec: origin.spec,
    origin: origin.origin,
    status: 'failed',
    hooks: [],
    tools: [],
  }
  try {
    const resolved = resolveOrigin(kernel, instance, origin)
    // The kernel read config `plugin` of the server's directory at start (kernel plugins are
    // process-wide); instance configs are read here. A file the kernel imported is not imported again.
    const known = kernel.pluginEntry(resolved.entry)
    if (known?.kind === 'kernel') return undefined
    record.entry = resolved.entry
    if (resolved.version) record.version = resolved.version
    const outDir = join(kernel.paths.data, 'opencode-plugins')
    const module =
      known?.module ??
      (await bounded(importPlugin(resolved.entry, outDir), context.timeoutMs, `importing ${origin.spec}`))
    const shape = moduleShape(module, origin.spec)
    if (shape.id) record.name = shape.id
    for (const plugin of shape.plugins) await initialise(context, record, plugin, origin)
    record.status = 'loaded'
  } catch (error) {
    record.error = message(error)
    kernel.log.error(
      { err: error, plugin: origin.spec, directory: instance.directory },
      `Failed to load plugin ${origin.spec}: ${record.error}`,
    )
  }
  return record
}
