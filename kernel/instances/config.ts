import { parse as parseJsonc, printParseErrorCode, stripComments, type ParseError } from 'jsonc-parser'
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join, parse, relative, resolve, sep } from 'node:path'
import { NamedError } from '../core/errors.js'
import { fromNativeConfig } from './config-native.js'

export type ConfigObject = Record<string, unknown>

/**
 * A config file that cannot be used; names the file, the line and the problem. 400, as OpenCode
 * answers its ConfigJsonError/ConfigInvalidError.
 */
export class ConfigInvalidError extends NamedError {
  constructor(path: string, message: string, line?: number, column?: number) {
    const where = line === undefined ? path : `${path}:${line}:${column ?? 1}`
    super('ConfigInvalidError', 400, { message: `${where}: ${message}`, path, line, column })
  }
}

/** Where OpenCode keeps global config: `$XDG_CONFIG_HOME/opencode` (default `~/.config/opencode`). */
export function globalConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'opencode')
}

/** One config source as loaded, in merge order (later wins). */
export interface ConfigSource {
  path: string
  config: ConfigObject
}

export interface LoadedConfig {
  config: ConfigObject
  sources: ConfigSource[]
  /**
   * The project file `PATCH /config` writes: the nearest existing one up to the worktree (the
   * directory's own outside a repository), else `opencode.json` in the directory.
   */
  projectFile: string
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}

/** `{env:VAR}` and `{file:path}` as OpenCode substitutes them, in the raw text before parsing. */
function substitute(text: string, baseDir: string, path: string, env: NodeJS.ProcessEnv): string {
  let out = text.replace(/\{env:([^}]+)\}/g, (_, name: string) => env[name] ?? '')
  out = out.replace(/\{file:([^}]+)\}/g, (match, file: string, offset: number) => {
    const lineStart = out.lastIndexOf('\n', offset) + 1
    if (out.slice(lineStart, offset).trim().startsWith('//')) return match
    const target = file.startsWith('~/') ? join(homedir(), file.slice(2)) : resolve(baseDir, file)
    let content: string
    try {
      content = readFileSync(target, 'utf8').trim()
    } catch {
      const { line, column } = lineAndColumn(out, offset)
      throw new ConfigInvalidError(path, `file not found for ${match}: ${target}`, line, column)
    }
    return JSON.stringify(content).slice(1, -1)
  })
  return out
}

/**
 * Parses one JSONC text, a config in OpenCode 2.1's native form translated to the 1.x form
 * (`fromNativeConfig`); throws ConfigInvalidError at the first problem.
 */
export function parseConfigText(text: string, path: string, env: NodeJS.ProcessEnv = process.env): ConfigObject {
  // OpenCode reads an empty (or comments-only) file as `{}`.
  if (stripComments(text).trim() === '') return {}
  const substituted = substitute(text, dirname(path), path, env)
  const errors: ParseError[] = []
  const value = parseJsonc(substituted, errors, { allowTrailingComma: true, disallowComments: false })
  if (errors.length > 0) {
    const first = errors[0]!
    const { line, column } = lineAndColumn(substituted, first.offset)
    throw new ConfigInvalidError(path, `invalid JSON (${printParseErrorCode(first.error)})`, line, column)
  }
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigInvalidError(path, 'the config must be a JSON object', 1, 1)
  }
  return fromNativeConfig(value as ConfigObject)
}

function readConfigFile(path: string, env: NodeJS.ProcessEnv): ConfigObject | undefined {
  if (!existsSync(path)) return undefined
  return parseConfigText(readFileSync(path, 'utf8'), path, env)
}

/** A JSON object (not an array, not null): the shape of config sections. */
export function isPlainObject(value: unknown): value is ConfigObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A config value that must be a list of strings, or undefined when it is anything else. */
export function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined
}

/** The string entries of a config object (`env`, `environment`); other entries are dropped. */
export function stringMap(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) return {}
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  )
}

// OpenCode concatenates these lists across sources instead of replacing them.
const CONCATENATED_KEYS = new Set(['plugin', 'instructions'])

/** Deep merge, later wins; `plugin` and `instructions` lists are joined without duplicates. */
export function mergeConfig(target: ConfigObject, source: ConfigObject, depth = 0): ConfigObject {
  const out: ConfigObject = { ...target }
  for (const [key, value] of Object.entries(source)) {
    const current = out[key]
    if (depth === 0 && CONCATENATED_KEYS.has(key) && Array.isArray(current) && Array.isArray(value)) {
      out[key] = [...new Set([...current, ...value])]
    } else if (isPlainObject(current) && isPlainObject(value)) {
      out[key] = mergeConfig(current, value, depth + 1)
    } else {
      out[key] = value
    }
  }
  return out
}

/**
 * The directories from `worktree` down to `directory`, outermost first. Outside a repository
 * (`worktree` undefined) OpenCode searches up to the filesystem root.
 */
function pathDown(worktree: string | undefined, directory: string): string[] {
  const top = worktree ?? parse(directory).root
  const rel = relative(top, directory)
  if (rel.startsWith('..') || isAbsolute(rel)) return [directory]
  const dirs = [top]
  let current = top
  for (const segment of rel.split(sep).filter(Boolean)) {
    current = join(current, segment)
    dirs.push(current)
  }
  return dirs
}

const FILE_NAMES = ['opencode.json', 'opencode.jsonc']
const GLOBAL_FILE_NAMES = ['config.json', ...FILE_NAMES]

export interface LoadedGlobalConfig {
  config: ConfigObject
  sources: ConfigSource[]
  /** The file `PATCH /global/config` writes: the last existing one in load order, else `opencode.json`. */
  file: string
}

/** The global files alone (`config.json`, `opencode.json`, `opencode.jsonc` in the global config dir), merged. */
export function loadGlobalConfig(env: NodeJS.ProcessEnv = process.env): LoadedGlobalConfig {
  const dir = globalConfigDir(env)
  const sources: ConfigSource[] = []
  let file = join(dir, 'opencode.json')
  for (const name of GLOBAL_FILE_NAMES) {
    const path = join(dir, name)
    const config = readConfigFile(path, env)
    if (!config) continue
    sources.push({ path, config })
    file = path
  }
  let config: ConfigObject = {}
  for (const source of sources) config = mergeConfig(config, source.config)
  return { config, sources, file }
}

/**
 * Loads and merges config the way OpenCode does: global files, `OPENCODE_CONFIG`, project
 * `opencode.json(c)` from the worktree down to the directory, `.opencode/` folders, then
 * `OPENCODE_CONFIG_CONTENT`. `worktree` undefined = not in a repository.
 */
export function loadConfig(
  directory: string,
  worktree: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): LoadedConfig {
  const sources: ConfigSource[] = [...loadGlobalConfig(env).sources]
  const add = (path: string) => {
    const config = readConfigFile(path, env)
    if (config) sources.push({ path, config })
  }
  if (env.OPENCODE_CONFIG) add(resolve(env.OPENCODE_CONFIG))
  const dirs = pathDown(worktree, directory)
  let projectFile = join(directory, 'opencode.json')
  for (const dir of dirs) {
    for (const name of FILE_NAMES) {
      const path = join(dir, name)
      // Outside a repository only the directory's own file is "the project's".
      if ((worktree !== undefined || dir === directory) && existsSync(path)) projectFile = path
      add(path)
    }
  }
  for (const dir of dirs) for (const name of FILE_NAMES) add(join(dir, '.opencode', name))
  if (env.OPENCODE_CONFIG_CONTENT) {
    sources.push({
      path: 'OPENCODE_CONFIG_CONTENT',
      config: parseConfigText(env.OPENCODE_CONFIG_CONTENT, 'OPENCODE_CONFIG_CONTENT', env),
    })
  }
  let config: ConfigObject = {}
  for (const source of sources) config = mergeConfig(config, source.config)
  return { config, sources, projectFile }
}
