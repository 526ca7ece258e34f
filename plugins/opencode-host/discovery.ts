import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type ConfigSource } from '../../sdk/index.js'

/** One plugin OpenCode would load: where it was named, and the options of a `[spec, options]` tuple. */
export interface PluginOrigin {
  /** As written: an npm spec, a path or a `file://` URL. */
  spec: string
  /** Where it was named (a config file, or a plugin folder). */
  origin: string
  options?: Record<string, unknown>
  /** An npm package (resolved from node_modules), else a file or directory. */
  kind: 'package' | 'file'
  /** Package name, or absolute path. */
  target: string
}

/** `name`, `name@1.2`, `@scope/name@^1` → the package name. */
export function packageName(spec: string): string {
  if (spec.startsWith('@')) {
    const [scope, rest = ''] = spec.split('/', 2)
    return `${scope}/${rest.split('@')[0]}`
  }
  return spec.split('@')[0]!
}

/** Turns one config `plugin` entry into an origin; undefined for entries that are neither string nor tuple. */
export function fromConfigEntry(entry: unknown, configPath: string): PluginOrigin | { error: string } | undefined {
  let spec: unknown = entry
  let options: Record<string, unknown> | undefined
  if (Array.isArray(entry)) {
    spec = entry[0]
    if (entry[1] !== undefined && (typeof entry[1] !== 'object' || entry[1] === null || Array.isArray(entry[1])))
      return { error: `plugin options must be an object: ${JSON.stringify(entry).slice(0, 200)}` }
    options = entry[1] as Record<string, unknown> | undefined
  }
  if (typeof spec !== 'string' || !spec.trim()) return undefined
  const base = isAbsolute(configPath) ? dirname(configPath) : process.cwd()
  if (spec.startsWith('file://'))
    return { spec, origin: configPath, options, kind: 'file', target: fileURLToPath(spec) }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec))
    return { error: `plugin ${spec}: only npm packages, paths and file:// URLs are supported (nothing is downloaded)` }
  if (spec.startsWith('.') || isAbsolute(spec) || spec.startsWith('~/')) {
    return { spec, origin: configPath, options, kind: 'file', target: resolve(base, spec) }
  }
  return { spec, origin: configPath, options, kind: 'package', target: packageName(spec) }
}

/** `worktree` down to `directory`, outermost first (just `directory` when it is outside). */
function pathDown(worktree: string, directory: string): string[] {
  const rel = relative(worktree, directory)
  if (rel.startsWith('..') || isAbsolute(rel)) return [directory]
  const dirs = [worktree]
  let current = worktree
  for (const segment of rel.split(sep).filter(Boolean)) dirs.push((current = join(current, segment)))
  return dirs
}

const PLUGIN_FILE = /\.(ts|js|mjs)$/

/** `{plugin,plugins}/*.{ts,js,mjs}` of one config directory, sorted. */
function folderFiles(configDir: string): string[] {
  const out: string[] = []
  for (const folder of ['plugin', 'plugins']) {
    const dir = join(configDir, folder)
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      continue
    }
    for (const name of names.sort()) {
      if (!PLUGIN_FILE.test(name) || name.endsWith('.d.ts')) continue
      const file = join(dir, name)
      try {
        if (statSync(file).isFile()) out.push(file)
      } catch {
        // Vanished between listing and stat.
      }
    }
  }
  return out
}

/** The config directories OpenCode reads plugin folders from: global, then each `.opencode/` from the worktree down. */
export function configDirectories(
  globalDir: string,
  worktree: string,
  directory: string,
  env: NodeJS.ProcessEnv,
): string[] {
  const dirs = [globalDir]
  if (!env.OPENCODE_DISABLE_PROJECT_CONFIG)
    for (const dir of pathDown(worktree, directory)) dirs.push(join(dir, '.opencode'))
  if (env.OPENCODE_CONFIG_DIR) dirs.push(resolve(env.OPENCODE_CONFIG_DIR))
  return [...new Set(dirs)].filter((dir) => existsSync(dir))
}

/**
 * Every plugin of an instance, in OpenCode's order: config `plugin` entries of each source (in
 * merge order), then each config directory's plugin folder. Duplicates keep the last occurrence.
 */
export function discoverPlugins(
  sources: readonly ConfigSource[],
  configDirs: readonly string[],
): { origins: PluginOrigin[]; errors: { spec: string; origin: string; error: string }[] } {
  const found: PluginOrigin[] = []
  const errors: { spec: string; origin: string; error: string }[] = []
  for (const source of sources) {
    const list = source.config.plugin
    if (!Array.isArray(list)) continue
    for (const entry of list) {
      const origin = fromConfigEntry(entry, source.path)
      if (!origin) continue
      if ('error' in origin)
        errors.push({ spec: JSON.stringify(entry).slice(0, 200), origin: source.path, error: origin.error })
      else found.push(origin)
    }
  }
  for (const dir of configDirs) {
    for (const file of folderFiles(dir)) found.push({ spec: file, origin: dirname(file), kind: 'file', target: file })
  }
  const last = new Map<string, PluginOrigin>()
  for (const origin of found) {
    const key = `${origin.kind}:${origin.target}`
    last.delete(key)
    last.set(key, origin)
  }
  return { origins: [...last.values()], errors }
}

/** Where to look for an npm plugin: node_modules from the directory up, then the config dir, then OpenCode's package cache. */
export function findPackage({
  name,
  spec,
  directory,
  configDir,
  env,
  home,
}: {
  /** The package name, and the spec as written (`name@1.2`). */
  name: string
  spec: string
  /** The instance's directory, searched upwards. */
  directory: string
  /** The global config directory. */
  configDir: string
  env: NodeJS.ProcessEnv
  home: string
}): string | undefined {
  const candidates: string[] = []
  let dir = directory
  for (;;) {
    candidates.push(join(dir, 'node_modules', name))
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  candidates.push(join(configDir, 'node_modules', name))
  const cache = join(env.XDG_CACHE_HOME || join(home, '.cache'), 'opencode', 'packages')
  candidates.push(join(cache, spec.includes('@', 1) ? spec : `${spec}@latest`, 'node_modules', name))
  return candidates.find((candidate) => existsSync(join(candidate, 'package.json')))
}

interface Manifest {
  name?: string
  main?: string
  module?: string
  exports?: unknown
  engines?: Record<string, string>
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest
}

/** A string target of an `exports` entry: itself, or its `import`/`node`/`default` condition. */
function pick(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>
    return pick(record.import) ?? pick(record.node) ?? pick(record.default)
  }
  return undefined
}

const INDEX_NAMES = ['index.ts', 'index.tsx', 'index.js', 'index.mjs', 'index.cjs']

/**
 * A package's server entry, as OpenCode picks it: `exports["./server"]`, else the main export,
 * else `main`, else an index file. Throws when the entry leaves the package.
 */
export function packageEntry(dir: string): string {
  const manifest = readManifest(dir)
  const exports = manifest.exports
  let entry: string | undefined
  if (exports && typeof exports === 'object' && !Array.isArray(exports)) {
    const record = exports as Record<string, unknown>
    entry = pick(record['./server']) ?? ('.' in record ? pick(record['.']) : pick(record))
  } else entry = pick(exports)
  entry ??= manifest.module ?? manifest.main
  const file = entry ? resolve(dir, entry) : INDEX_NAMES.map((name) => join(dir, name)).find((path) => existsSync(path))
  if (!file) throw new Error(`package ${manifest.name ?? dir} has no entry (exports, main or index file)`)
  const rel = relative(dir, file)
  if (rel.startsWith('..') || isAbsolute(rel))
    throw new Error(`the entry of ${manifest.name ?? dir} (${entry}) is outside the package`)
  return file
}

/** A path plugin: a file, or a directory with a package.json or an index file. */
export function pathEntry(path: string): string {
  if (!existsSync(path)) throw new Error(`no such file: ${path}`)
  if (!statSync(path).isDirectory()) return path
  if (existsSync(join(path, 'package.json'))) return packageEntry(path)
  const index = INDEX_NAMES.map((name) => join(path, name)).find((file) => existsSync(file))
  if (!index) throw new Error(`directory ${path} has no package.json or index file`)
  return index
}
