// The agent plugin's public contract: what other plugins (session, tools) may use through the
// `app.agents`, `app.commands` and `app.skills` decorators. Import these types with
// `import type` only; plugins never import each other's code.
import { type Instance } from '../../sdk/index.js'

export type PermissionAction = 'allow' | 'ask' | 'deny'

/** One flattened permission rule; the last matching rule wins. */
export interface PermissionRule {
  permission: string
  pattern: string
  action: PermissionAction
}

/** An agent as `GET /agent` shows it (OpenCode's `Agent`). */
export interface AgentInfo {
  name: string
  description?: string
  mode: 'primary' | 'subagent' | 'all'
  native?: boolean
  hidden?: boolean
  topP?: number
  temperature?: number
  color?: string
  /**
   * Built-in defaults, then the built-in agent's own rules, then the user's config `permission`,
   * then the agent's `tools` switches and `permission` from config or markdown.
   */
  permission: PermissionRule[]
  model?: { providerID: string; modelID: string }
  variant?: string
  prompt?: string
  /** Tool ids switched on or off (`{ "bash": false }`); absent = on. */
  tools?: Record<string, boolean>
  options: Record<string, unknown>
  steps?: number
}

/** A slash command (OpenCode's `Command`). */
export interface CommandInfo {
  name: string
  description?: string
  agent?: string
  model?: string
  source?: 'command' | 'mcp' | 'skill'
  /** Body with `$ARGUMENTS`, `$1`…, `` !`cmd` `` and `@file` placeholders (expanded by the session plugin). */
  template: string
  subtask?: boolean
  /** The placeholders the template uses, e.g. `["$1", "$ARGUMENTS"]`. */
  hints: string[]
}

export interface SkillInfo {
  name: string
  description: string
  /** Absolute path of the SKILL.md file. */
  location: string
  /** The SKILL.md body (frontmatter removed). */
  content: string
}

/** The services answer cached, shared objects: treat them as read-only. */
export interface AgentService {
  list(instance: Instance): Promise<AgentInfo[]>
  get(instance: Instance, name: string): Promise<AgentInfo | undefined>
  /** The agent a prompt uses when it names none: config `default_agent`, else `build`. */
  defaultAgent(instance: Instance): Promise<AgentInfo>
}

export interface CommandService {
  list(instance: Instance): Promise<CommandInfo[]>
  get(instance: Instance, name: string): Promise<CommandInfo | undefined>
}

export interface SkillService {
  list(instance: Instance): Promise<SkillInfo[]>
  get(instance: Instance, name: string): Promise<SkillInfo | undefined>
}

declare module 'fastify' {
  interface FastifyInstance {
    agents: AgentService
    commands: CommandService
    skills: SkillService
  }
}
