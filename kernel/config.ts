import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser'
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { NamedError } from './errors.js'

export type ConfigObject = Record<string, unknown>

/** A config file that cannot be used; names the file, the line and the problem. */
export class ConfigInvalidError extends NamedError {
  constructor(path: string, message: string, line?: number, column?: number) {
    const where = line === undefined ? path : `${path}:${line}:${column ?? 1}`
    super('ConfigInvalidError', 500, { message: `${where}: ${message}`, path, line, column })
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
  /** The project file `PATCH /config` writes: the nearest existing one, else `opencode.json` in the directory. */
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

/** Parses one JSONC text; throws ConfigInvalidError at the first problem. */
export function parseConfigText(text: string, path: string, env: NodeJS.ProcessEnv = process.env): ConfigObject {
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
  return value as ConfigObject
}

function readConfigFile(path: string, env: NodeJS.ProcessEnv): ConfigObject | undefined {
  if (!existsSync(path)) return undefined
  return parseConfigText(readFileSync(path, 'utf8'), path, env)
}

function isPlainObject(value: unknown): value is ConfigObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
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

/** The directories from `worktree` down to `directory`, outermost first. */
function pathDown(worktree: string, directory: string): string[] {
  const rel = relative(worktree, directory)
  if (rel.startsWith('..') || isAbsolute(rel)) return [directory]
  const dirs = [worktree]
  let current = worktree
  for (const segment of rel.split(sep).filter(Boolean)) {
    current = join(current, segment)
    dirs.push(current)
  }
  return dirs
}

const FILE_NAMES = ['opencode.json', 'opencode.jsonc']

/**
 * Loads and merges config the way OpenCode does: global files, `OPENCODE_CONFIG`, project
 * `opencode.json(c)` from the worktree down to the directory, `.opencode/` folders, then
 * `OPENCODE_CONFIG_CONTENT`.
 */
export function loadConfig(directory: string, worktree: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const sources: ConfigSource[] = []
  const add = (path: string) => {
    const config = readConfigFile(path, env)
    if (config) sources.push({ path, config })
  }
  const globalDir = globalConfigDir(env)
  for (const name of ['config.json', ...FILE_NAMES]) add(join(globalDir, name))
  if (env.OPENCODE_CONFIG) add(resolve(env.OPENCODE_CONFIG))
  const dirs = pathDown(worktree, directory)
  let projectFile = join(directory, 'opencode.json')
  for (const dir of dirs) {
    for (const name of FILE_NAMES) {
      const path = join(dir, name)
      if (existsSync(path)) projectFile = path
      add(path)
    }
  }
  for (const dir of dirs) for (const name of FILE_NAMES) add(join(dir, '.opencode', name))
  if (env.OPENCODE_CONFIG_CONTENT) {
    sources.push({ path: 'OPENCODE_CONFIG_CONTENT', config: parseConfigText(env.OPENCODE_CONFIG_CONTENT, 'OPENCODE_CONFIG_CONTENT', env) })
  }
  let config: ConfigObject = {}
  for (const source of sources) config = mergeConfig(config, source.config)
  return { config, sources, projectFile }
}
