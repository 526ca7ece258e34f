// Slash commands: built-ins, config `command`, markdown files, and skills offered as commands.
import { dirname } from 'node:path'
import { type ConfigInvalidError, type ConfigObject } from '../../sdk/index.js'
import { isObject, readCommandFields, type CommandFields } from './fields.js'
import type { MarkdownFile } from './markdown.js'
import { INIT_TEMPLATE, REVIEW_TEMPLATE } from './prompts.js'
import type { CommandInfo, SkillInfo } from './types.js'

/**
 * The placeholders a template uses: `$1`, `$2`, … in numeric order, then `$ARGUMENTS`. (OpenCode
 * sorts the numbered ones as strings, which puts `$10` before `$2`.)
 */
export function commandHints(template: string): string[] {
  const numbers = new Set<number>()
  for (const match of template.matchAll(/\$(\d+)/g)) numbers.add(Number(match[1]))
  const hints = [...numbers].sort((a, b) => a - b).map((n) => `$${n}`)
  if (template.includes('$ARGUMENTS')) hints.push('$ARGUMENTS')
  return hints
}

function builtInCommands(): CommandInfo[] {
  return [
    {
      name: 'init',
      description: 'create or update AGENTS.md for this project',
      source: 'command',
      template: INIT_TEMPLATE,
      hints: commandHints(INIT_TEMPLATE),
    },
    {
      name: 'review',
      description: 'review changes [commit|branch|pr], uncommitted by default',
      source: 'command',
      template: REVIEW_TEMPLATE,
      subtask: true,
      hints: commandHints(REVIEW_TEMPLATE),
    },
  ]
}

/** A markdown command file: the name its path gives (`group/name`) and its parsed content. */
export interface CommandFile {
  name: string
  file: MarkdownFile
}

export interface CommandInputs {
  config: ConfigObject
  configError: (path: readonly string[], problem: string) => ConfigInvalidError
  /** Global files first, then the project's from the worktree root down (later wins). */
  files: readonly CommandFile[]
  /** Skills become commands too, unless a command already has the name. */
  skills: readonly SkillInfo[]
}

/** What running a skill as a command sends: its content and where its relative paths point. */
export function skillTemplate(skill: SkillInfo): string {
  return `${skill.content.trimEnd()}\n\nThis skill's base directory is ${dirname(skill.location)}; relative paths in it (scripts/, references/ …) are relative to that directory.`
}

/**
 * The commands of one instance, in OpenCode's order: built-ins, config `command`, markdown files,
 * then skills. A user command replaces a built-in of the same name in place; config and markdown entries
 * of one name merge field by field (markdown wins).
 */
export function buildCommands(inputs: CommandInputs): CommandInfo[] {
  const { config, configError } = inputs
  const commands = new Map<string, CommandInfo>()
  for (const command of builtInCommands()) commands.set(command.name, command)

  const user = new Map<string, { fields: CommandFields; missingTemplate: () => ConfigInvalidError }>()
  const section = config.command
  if (section !== undefined && section !== null) {
    if (!isObject(section)) throw configError(['command'], 'must be an object of commands by name')
    for (const [name, entry] of Object.entries(section)) {
      if (!isObject(entry)) throw configError(['command', name], 'must be an object with a template')
      const fields = readCommandFields(entry, (key, problem) => configError(['command', name, key], problem))
      user.set(name, { fields, missingTemplate: () => configError(['command', name], 'template is required') })
    }
  }
  for (const { name, file } of inputs.files) {
    const { template: _ignored, ...fields } = readCommandFields(file.data, file.invalid)
    const previous = user.get(name)
    user.set(name, {
      fields: { ...previous?.fields, ...fields, template: file.body.trim() },
      missingTemplate: () => file.invalid('template', 'is required'),
    })
  }
  for (const [name, { fields, missingTemplate }] of user) {
    if (fields.template === undefined) throw missingTemplate()
    const command: CommandInfo = {
      name,
      ...fields,
      source: 'command',
      template: fields.template,
      hints: commandHints(fields.template),
    }
    commands.set(name, command)
  }

  for (const skill of inputs.skills) {
    if (commands.has(skill.name)) continue
    commands.set(skill.name, {
      name: skill.name,
      description: skill.description,
      source: 'skill',
      template: skillTemplate(skill),
      hints: [],
    })
  }
  return [...commands.values()]
}
