// Built-in agents and how config entries and markdown files override or extend them.
import { mergeConfig, type ConfigInvalidError, type ConfigObject } from '../../sdk/index.js'
import { isObject, readAgentFields, type AgentFields, type Invalid } from './fields.js'
import type { MarkdownFile } from './markdown.js'
import {
  agentRules,
  defaultPermission,
  externalDirectoryPatterns,
  mergePermission,
  permissionConfigProblem,
  type PermissionConfig,
} from './permission.js'
import {
  COMPACTION_PROMPT,
  DESCRIPTIONS,
  EXPLORE_PROMPT,
  PLAN_PROMPT,
  SUMMARY_PROMPT,
  TITLE_PROMPT,
} from './prompts.js'
import type { AgentInfo } from './types.js'

/** An agent before its permission is flattened: its fields plus the permission configs that apply. */
interface AgentDraft extends Omit<AgentInfo, 'permission'> {
  /** The built-in agent's own rules (between the defaults and the user's config). */
  builtInPermission?: PermissionConfig
  /** From config and markdown, applied last. */
  permissionConfig?: PermissionConfig
  disable?: boolean
}

function builtInAgents(skillDirectories: readonly string[]): AgentDraft[] {
  return [
    {
      name: 'build',
      description: DESCRIPTIONS.build,
      mode: 'primary',
      native: true,
      options: {},
      builtInPermission: { question: 'allow', plan_enter: 'allow' },
    },
    {
      name: 'plan',
      description: DESCRIPTIONS.plan,
      mode: 'primary',
      native: true,
      prompt: PLAN_PROMPT,
      options: {},
      builtInPermission: { question: 'allow', plan_exit: 'allow', edit: { '*': 'ask' }, bash: { '*': 'ask' } },
    },
    {
      name: 'general',
      description: DESCRIPTIONS.general,
      mode: 'subagent',
      native: true,
      options: {},
      builtInPermission: { todowrite: 'deny' },
    },
    {
      name: 'explore',
      description: DESCRIPTIONS.explore,
      mode: 'subagent',
      native: true,
      prompt: EXPLORE_PROMPT,
      options: {},
      // Everything denied but the tools that look; outside directories ask again as by default.
      builtInPermission: {
        '*': 'deny',
        grep: 'allow',
        glob: 'allow',
        list: 'allow',
        bash: 'allow',
        webfetch: 'allow',
        websearch: 'allow',
        read: 'allow',
        external_directory: externalDirectoryPatterns(skillDirectories),
      },
    },
    {
      name: 'compaction',
      mode: 'primary',
      native: true,
      hidden: true,
      prompt: COMPACTION_PROMPT,
      options: {},
      builtInPermission: { '*': 'deny' },
    },
    {
      name: 'title',
      mode: 'primary',
      native: true,
      hidden: true,
      temperature: 0.5,
      prompt: TITLE_PROMPT,
      options: {},
      builtInPermission: { '*': 'deny' },
    },
    {
      name: 'summary',
      mode: 'primary',
      native: true,
      hidden: true,
      prompt: SUMMARY_PROMPT,
      options: {},
      builtInPermission: { '*': 'deny' },
    },
  ]
}

/** A markdown agent file: the name its path gives (`nested/deep`) and its parsed content. */
export interface AgentFile {
  name: string
  file: MarkdownFile
}

export interface AgentInputs {
  config: ConfigObject
  /** Errors about a key path of the merged config, pointing at the file that set it. */
  configError: (path: readonly string[], problem: string) => ConfigInvalidError
  /** Global files first, then the project's from the worktree root down (later wins). */
  files: readonly AgentFile[]
  /** Folders holding skills: reading there never counts as outside the project. */
  skillDirectories: readonly string[]
  home: string
}

export interface AgentSet {
  /** The configured `default_agent` first when it exists, then by name. */
  agents: AgentInfo[]
  /** Why config `default_agent` was not usable, when it was not. */
  defaultAgentProblem?: string
  defaultAgent: AgentInfo | undefined
}

function applyFields(draft: AgentDraft, fields: AgentFields): AgentDraft {
  const next: AgentDraft = { ...draft }
  const { name: _name, tools, options, permission, ...scalars } = fields
  Object.assign(next, scalars)
  if (tools) next.tools = { ...next.tools, ...tools }
  if (options) next.options = mergeConfig(next.options, options)
  if (permission !== undefined) next.permissionConfig = mergePermission(next.permissionConfig, permission)
  return next
}

function entriesOf(
  config: ConfigObject,
  key: string,
  configError: AgentInputs['configError'],
): [string, Record<string, unknown>][] {
  const section = config[key]
  if (section === undefined || section === null) return []
  if (!isObject(section)) throw configError([key], 'must be an object of agents by name')
  return Object.entries(section).map(([name, entry]) => {
    if (!isObject(entry)) throw configError([key, name], 'must be an object')
    return [name, entry]
  })
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T
}

/**
 * The agents of one instance: built-ins, overridden or extended field by field by the deprecated
 * config `mode`, config `agent`, then markdown files; `disable` removes one.
 */
export function buildAgents(inputs: AgentInputs): AgentSet {
  const { config, configError } = inputs
  const drafts = new Map<string, AgentDraft>()
  for (const agent of builtInAgents(inputs.skillDirectories)) drafts.set(agent.name, agent)
  const apply = (name: string, fields: AgentFields) => {
    const draft = drafts.get(name) ?? { name, mode: 'all', native: false, options: {} }
    drafts.set(name, applyFields(draft, fields))
  }

  for (const [name, entry] of entriesOf(config, 'mode', configError)) {
    const invalid: Invalid = (key, problem) => configError(['mode', name, key], problem)
    // The deprecated `mode` section always declared primary agents.
    apply(name, { ...readAgentFields(entry, invalid), mode: 'primary' })
  }
  for (const [name, entry] of entriesOf(config, 'agent', configError)) {
    const invalid: Invalid = (key, problem) => configError(['agent', name, key], problem)
    apply(name, readAgentFields(entry, invalid))
  }
  for (const { name, file } of inputs.files) {
    const fields = readAgentFields(file.data, file.invalid)
    const body = file.body.trim()
    if (body) fields.prompt = body
    apply(fields.name ?? name, fields)
  }

  const user = config.permission
  if (user !== undefined && user !== null) {
    const problem = permissionConfigProblem(user)
    if (problem) throw configError(['permission'], problem)
  }
  const defaults = defaultPermission(inputs.skillDirectories)
  const agents: AgentInfo[] = []
  for (const draft of drafts.values()) {
    if (draft.disable) continue
    const { builtInPermission, permissionConfig, disable: _disable, ...info } = draft
    const permission = agentRules({
      defaults,
      builtIn: builtInPermission,
      user: (user ?? undefined) as PermissionConfig | undefined,
      tools: draft.tools,
      agent: permissionConfig,
      home: inputs.home,
    })
    agents.push(withoutUndefined({ ...info, permission }))
  }

  agents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const configured = config.default_agent
  let defaultAgentProblem: string | undefined
  let defaultAgent: AgentInfo | undefined
  const usable = (agent: AgentInfo) => agent.mode !== 'subagent' && agent.hidden !== true
  if (configured !== undefined && configured !== null) {
    const named = typeof configured === 'string' ? agents.find((agent) => agent.name === configured) : undefined
    if (typeof configured !== 'string') defaultAgentProblem = 'default_agent must be a string'
    else if (!named) defaultAgentProblem = `default agent "${configured}" does not exist`
    else if (named.mode === 'subagent') defaultAgentProblem = `default agent "${configured}" is a subagent`
    else if (named.hidden) defaultAgentProblem = `default agent "${configured}" is hidden`
    else defaultAgent = named
    // OpenCode lists the configured default first even when it cannot be used as one.
    if (named) {
      agents.splice(agents.indexOf(named), 1)
      agents.unshift(named)
    }
  }
  defaultAgent ??= agents.find((agent) => agent.name === 'build' && usable(agent)) ?? agents.find(usable)
  return { agents, defaultAgent, ...(defaultAgentProblem ? { defaultAgentProblem } : {}) }
}
