import { isPlainObject, stringList, stringMap, type ConfigObject, type Instance } from '../../sdk/index.js'
import { findExecutable } from '../../sdk/executable.js'
import { BUILTIN_FORMATTERS, type FormatterDefinition } from './formatters.js'
import type { FormatterStatus } from './schemas.js'

/** A formatter after config: a built-in one overridden, or one config added. */
export interface Formatter extends FormatterDefinition {
  disabled: boolean
  environment: Record<string, string>
}

/**
 * The built-in formatters with config `formatter` applied: `false` disables all;
 * `formatter.<name>` overrides `disabled`, `command`, `extensions` and `environment` (or `env`),
 * or adds a formatter when the name is new. Entries of the wrong shape are ignored.
 */
export function configuredFormatters(config: ConfigObject): Formatter[] {
  const setting = config.formatter
  const overrides = isPlainObject(setting) ? setting : {}
  const apply = (base: FormatterDefinition, override: unknown): Formatter => {
    const entry = isPlainObject(override) ? override : {}
    return {
      ...base,
      command: stringList(entry.command)?.length ? stringList(entry.command)! : base.command,
      extensions: stringList(entry.extensions) ?? base.extensions,
      disabled: setting === false || entry.disabled === true,
      environment: { ...stringMap(entry.env), ...stringMap(entry.environment) },
    }
  }
  const builtin = new Set(BUILTIN_FORMATTERS.map((formatter) => formatter.name))
  return [
    ...BUILTIN_FORMATTERS.map((formatter) => apply(formatter, overrides[formatter.name])),
    ...Object.entries(overrides)
      .filter(([name, entry]) => !builtin.has(name) && isPlainObject(entry))
      .map(([name, entry]) => apply({ name, extensions: [], command: [] }, entry)),
  ]
}

/** What `GET /formatter` answers: every configured formatter, whether installed and whether it would run. */
export function formatterStatus(instance: Instance, config: ConfigObject, env: NodeJS.ProcessEnv): FormatterStatus[] {
  const scope = { directory: instance.directory, worktree: instance.worktree, env }
  return configuredFormatters(config).map((formatter) => {
    const available = formatter.command[0] !== undefined && findExecutable(formatter.command[0], scope) !== undefined
    return {
      name: formatter.name,
      extensions: formatter.extensions,
      enabled: !formatter.disabled && available,
      command: formatter.command,
      available,
    }
  })
}
