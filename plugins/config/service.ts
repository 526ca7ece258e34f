import type { ConfigKernel } from './index.js'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import {
  applyEdits,
  modify,
  parse as parseJsonc,
  stripComments,
  type FormattingOptions,
  type JSONPath,
} from 'jsonc-parser'
import {
  BadRequestError,
  ConfigInvalidError,
  isPlainObject,
  loadGlobalConfig,
  parseConfigText,
  type ConfigObject,
  type ConfigSource,
  type Instance,
  type LoadedConfig,
} from '../../sdk/index.js'
import { ConfigUpdated } from './events.js'
import { Config } from './schemas.js'
import type { ConfigService } from './types.js'
import { formatPath, locate, type StrictValidator } from './validator.js'

/** The indentation a file already uses, so inserted keys look like their neighbours. */
function formatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n'
  const indent = text.match(/^([ \t]+)["}\]]/m)?.[1]
  if (indent?.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol }
  return { insertSpaces: true, tabSize: indent ? indent.length : 2, eol }
}

/**
 * `text` with `patch` deep-merged in, edited in place: comments, formatting and keys the patch
 * does not name stay as they are. Objects merge key by key; anything else is replaced.
 */
export function patchConfigText(text: string, patch: ConfigObject): string {
  const options = formatting(text)
  // An empty or comments-only file has no object to edit yet.
  let out = stripComments(text).trim() === '' ? `${text.trim() === '' ? '' : text.trimEnd() + options.eol!}{}` : text
  const walk = (current: unknown, changes: ConfigObject, path: JSONPath) => {
    for (const [key, value] of Object.entries(changes)) {
      const existing = isPlainObject(current) ? current[key] : undefined
      if (isPlainObject(value) && isPlainObject(existing)) walk(existing, value, [...path, key])
      else out = applyEdits(out, modify(out, [...path, key], value, { formattingOptions: options }))
    }
  }
  walk(parseJsonc(out, [], { allowTrailingComma: true }), patch, [])
  return out.endsWith('\n') ? out : out + options.eol
}

/** Replaces `file` by writing a temp file beside it and renaming it, so a reader never sees half a file. */
export function writeFileAtomically(file: string, text: string): void {
  // Through a symlink, replace the file it points to, not the link.
  const target = existsSync(file) ? realpathSync(file) : file
  mkdirSync(dirname(target), { recursive: true })
  const mode = existsSync(target) ? statSync(target).mode & 0o777 : 0o644
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    writeFileSync(temp, text, { mode })
    renameSync(temp, target)
  } catch (error) {
    rmSync(temp, { force: true })
    throw error
  }
}

/** Reads the text a source came from, to point at the line of a problem. */
function sourceText(source: ConfigSource, env: NodeJS.ProcessEnv): string | undefined {
  if (source.path === 'OPENCODE_CONFIG_CONTENT') return env.OPENCODE_CONFIG_CONTENT
  try {
    return readFileSync(source.path, 'utf8')
  } catch {
    return undefined
  }
}

export function createConfigService(kernel: ConfigKernel, validator: StrictValidator): ConfigService {
  // Checked once per load: the kernel makes a new LoadedConfig when the files are read again.
  const checked = new WeakMap<LoadedConfig, ConfigInvalidError | null>()

  /** The first source that does not match the schema, as a ConfigInvalidError at its line. */
  const check = (sources: readonly ConfigSource[]): ConfigInvalidError | null => {
    for (const source of sources) {
      const problem = validator.check(Config, source.config)
      if (!problem) continue
      const text = sourceText(source, kernel.env)
      const at = text === undefined ? undefined : locate(text, problem.path)
      const field = problem.path.length > 0 ? `"${formatPath(problem.path)}" ` : ''
      return new ConfigInvalidError(source.path, `${field}${problem.message}`, at?.line, at?.column)
    }
    return null
  }

  const get = (instance: Instance): Config => {
    const loaded = kernel.loadedConfig(instance)
    let error = checked.get(loaded)
    if (error === undefined) checked.set(loaded, (error = check(loaded.sources)))
    if (error) throw error
    return loaded.config as Config
  }

  const globalConfig = (): Config => {
    const loaded = loadGlobalConfig(kernel.env)
    const error = check(loaded.sources)
    if (error) throw error
    return loaded.config as Config
  }

  /** Merges `patch` into `file`, refusing (400, nothing written) a result that breaks the schema. */
  const write = (file: string, patch: ConfigObject) => {
    const invalid = validator.check(Config, patch)
    if (invalid) throw new BadRequestError(`body at "${formatPath(invalid.path)}": ${invalid.message}`, 'Body')
    const text = existsSync(file) ? readFileSync(file, 'utf8') : ''
    // Throws ConfigInvalidError when the file does not parse: editing it blind could lose content.
    parseConfigText(text, file, kernel.env)
    const next = patchConfigText(text, patch)
    const problem = validator.check(Config, parseConfigText(next, file, kernel.env))
    if (problem)
      throw new BadRequestError(
        `${file} would become invalid: "${formatPath(problem.path)}" ${problem.message}`,
        'Body',
      )
    writeFileAtomically(file, next)
  }

  // Any instance may read the file just written (a parent's opencode.json, the global one).
  const invalidateAll = async () => {
    for (const instance of await kernel.instances.list()) kernel.invalidateConfig(instance)
  }

  return {
    get,
    global: globalConfig,
    async update(instance, patch) {
      const loaded = kernel.loadedConfig(instance)
      // Another broken file would make the answer a 400 after the write; the target may be fixed by it.
      const broken = check(loaded.sources.filter((source) => source.path !== loaded.projectFile))
      if (broken) throw broken
      write(loaded.projectFile, patch)
      await invalidateAll()
      // The requesting instance may have been evicted from the list meanwhile; it still answers.
      kernel.invalidateConfig(instance)
      const config = get(instance)
      kernel.publish(instance, ConfigUpdated, config)
      return config
    },
    async updateGlobal(patch) {
      const loaded = loadGlobalConfig(kernel.env)
      const broken = check(loaded.sources.filter((source) => source.path !== loaded.file))
      if (broken) throw broken
      write(loaded.file, patch)
      await invalidateAll()
      const config = globalConfig()
      kernel.publish('global', ConfigUpdated, config)
      return config
    },
  }
}
