// Reading agent and command fields from config entries and markdown frontmatter, with one
// error (file, line, problem) for a field of the wrong type.
import { findNodeAtLocation, parseTree } from 'jsonc-parser'
import { existsSync, readFileSync } from 'node:fs'
import { ConfigInvalidError, isPlainObject, type ConfigObject, type LoadedConfig } from '../../sdk/index.js'
import { permissionConfigProblem, type PermissionConfig } from './permission.js'
import type { AgentInfo } from './types.js'

/** Builds the error for field `key` of the entry being read. */
export type Invalid = (key: string, problem: string) => ConfigInvalidError

export type AgentMode = AgentInfo['mode']

/** What one config entry or markdown file says about an agent; absent fields leave the agent as it is. */
export interface AgentFields {
  name?: string
  description?: string
  mode?: AgentMode
  model?: { providerID: string; modelID: string }
  temperature?: number
  topP?: number
  tools?: Record<string, boolean>
  permission?: PermissionConfig
  color?: string
  hidden?: boolean
  steps?: number
  disable?: boolean
  variant?: string
  options?: Record<string, unknown>
  prompt?: string
}

export interface CommandFields {
  template?: string
  description?: string
  agent?: string
  model?: string
  subtask?: boolean
}

/** A JSON object (not an array, not null). */
export const isObject = isPlainObject

const MODES: readonly AgentMode[] = ['primary', 'subagent', 'all']
const THEME_COLORS = ['primary', 'secondary', 'accent', 'success', 'warning', 'error', 'info']

/** `"provider/model"` → `{ providerID, modelID }`, split at the first `/`. */
export function parseModel(value: string): { providerID: string; modelID: string } | undefined {
  const slash = value.indexOf('/')
  if (slash <= 0 || slash === value.length - 1) return undefined
  return { providerID: value.slice(0, slash), modelID: value.slice(slash + 1) }
}

function string(raw: Record<string, unknown>, key: string, invalid: Invalid): string | undefined {
  const value = raw[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw invalid(key, 'must be a string')
  return value
}

function number(raw: Record<string, unknown>, key: string, invalid: Invalid): number | undefined {
  const value = raw[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(key, 'must be a number')
  return value
}

function boolean(raw: Record<string, unknown>, key: string, invalid: Invalid): boolean | undefined {
  const value = raw[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean') throw invalid(key, 'must be true or false')
  return value
}

function positiveInteger(raw: Record<string, unknown>, key: string, invalid: Invalid): number | undefined {
  const value = raw[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    throw invalid(key, 'must be a positive integer')
  return value
}

const AGENT_KEYS = new Set([
  'name',
  'description',
  'mode',
  'model',
  'temperature',
  'top_p',
  'tools',
  'permission',
  'color',
  'hidden',
  'steps',
  'maxSteps',
  'disable',
  'variant',
  'options',
  'prompt',
])

/** Reads an agent entry; unknown keys go to `options`, as in OpenCode. */
export function readAgentFields(raw: Record<string, unknown>, invalid: Invalid): AgentFields {
  const fields: AgentFields = {}
  const name = string(raw, 'name', invalid)
  if (name !== undefined) fields.name = name
  const description = string(raw, 'description', invalid)
  if (description !== undefined) fields.description = description
  const mode = string(raw, 'mode', invalid)
  if (mode !== undefined) {
    if (!(MODES as readonly string[]).includes(mode))
      throw invalid('mode', `must be one of ${MODES.map((m) => `"${m}"`).join(', ')}`)
    fields.mode = mode as AgentMode
  }
  const model = string(raw, 'model', invalid)
  if (model !== undefined) {
    const parsed = parseModel(model)
    if (!parsed) throw invalid('model', `must be "provider/model", got "${model}"`)
    fields.model = parsed
  }
  const temperature = number(raw, 'temperature', invalid)
  if (temperature !== undefined) fields.temperature = temperature
  const topP = number(raw, 'top_p', invalid)
  if (topP !== undefined) fields.topP = topP
  const tools = raw.tools
  if (tools !== undefined && tools !== null) {
    if (!isObject(tools) || !Object.values(tools).every((value) => typeof value === 'boolean'))
      throw invalid('tools', 'must map tool names to true or false')
    fields.tools = tools as Record<string, boolean>
  }
  const permission = raw.permission
  if (permission !== undefined && permission !== null) {
    const problem = permissionConfigProblem(permission)
    if (problem) throw invalid('permission', problem)
    fields.permission = permission as PermissionConfig
  }
  const color = string(raw, 'color', invalid)
  if (color !== undefined) {
    if (!/^#[0-9a-fA-F]{6}$/.test(color) && !THEME_COLORS.includes(color))
      throw invalid('color', `must be a hex color like "#ff8800" or one of ${THEME_COLORS.join(', ')}`)
    fields.color = color
  }
  const hidden = boolean(raw, 'hidden', invalid)
  if (hidden !== undefined) fields.hidden = hidden
  const steps = positiveInteger(raw, 'steps', invalid) ?? positiveInteger(raw, 'maxSteps', invalid)
  if (steps !== undefined) fields.steps = steps
  const disable = boolean(raw, 'disable', invalid)
  if (disable !== undefined) fields.disable = disable
  const variant = string(raw, 'variant', invalid)
  if (variant !== undefined) fields.variant = variant
  const prompt = string(raw, 'prompt', invalid)
  if (prompt !== undefined) fields.prompt = prompt
  const options = raw.options
  if (options !== undefined && options !== null && !isObject(options)) throw invalid('options', 'must be an object')
  const extra = Object.fromEntries(Object.entries(raw).filter(([key]) => !AGENT_KEYS.has(key)))
  if (isObject(options) || Object.keys(extra).length > 0)
    fields.options = { ...(isObject(options) ? options : {}), ...extra }
  return fields
}

/** Reads a command entry (template, description, agent, model, subtask); other keys are ignored. */
export function readCommandFields(raw: Record<string, unknown>, invalid: Invalid): CommandFields {
  const fields: CommandFields = {}
  const template = string(raw, 'template', invalid)
  if (template !== undefined) fields.template = template
  const description = string(raw, 'description', invalid)
  if (description !== undefined) fields.description = description
  const agent = string(raw, 'agent', invalid)
  if (agent !== undefined) fields.agent = agent
  const model = string(raw, 'model', invalid)
  if (model !== undefined) fields.model = model
  const subtask = boolean(raw, 'subtask', invalid)
  if (subtask !== undefined) fields.subtask = subtask
  return fields
}

function valueAt(config: ConfigObject, path: readonly string[]): unknown {
  let value: unknown = config
  for (const key of path) {
    if (!isObject(value)) return undefined
    value = value[key]
  }
  return value
}

/**
 * Errors about the merged config that point at the file (and line) that set the value: the last
 * source holding the key path.
 */
export function configErrors(loaded: LoadedConfig): (path: readonly string[], problem: string) => ConfigInvalidError {
  return (path, problem) => {
    const where = path.join('.')
    const source = [...loaded.sources].reverse().find((candidate) => valueAt(candidate.config, path) !== undefined)
    if (!source) return new ConfigInvalidError('config', `${where}: ${problem}`)
    if (!existsSync(source.path)) return new ConfigInvalidError(source.path, `${where}: ${problem}`)
    const text = readFileSync(source.path, 'utf8')
    const node = findNodeAtLocation(
      parseTree(text, [], { allowTrailingComma: true }) ?? { type: 'null', offset: 0, length: 0 },
      [...path],
    )
    // The key's own position reads better than its value's.
    const offset = node?.parent?.type === 'property' ? node.parent.offset : node?.offset
    if (offset === undefined) return new ConfigInvalidError(source.path, `${where}: ${problem}`)
    const before = text.slice(0, offset)
    const line = before.split('\n').length
    const column = offset - before.lastIndexOf('\n')
    return new ConfigInvalidError(source.path, `${where}: ${problem}`, line, column)
  }
}
