import { Type } from 'typebox'
import { StringEnum, named, ref } from '../../sdk/index.js'

export const PermissionRule = named(
  'Permission.Rule',
  Type.Object(
    {
      permission: Type.String(),
      pattern: Type.String(),
      action: StringEnum(['allow', 'deny', 'ask']),
    },
    { additionalProperties: false },
  ),
)

/** OpenCode's `Agent` (`tools` stays server-side: OpenCode does not show it either). */
export const AgentInfo = named(
  'Agent.Info',
  Type.Object(
    {
      name: Type.String(),
      description: Type.Optional(Type.String()),
      mode: StringEnum(['subagent', 'primary', 'all']),
      native: Type.Optional(Type.Boolean()),
      hidden: Type.Optional(Type.Boolean()),
      topP: Type.Optional(Type.Number()),
      temperature: Type.Optional(Type.Number()),
      color: Type.Optional(Type.String()),
      permission: Type.Array(ref(PermissionRule)),
      model: Type.Optional(
        Type.Object({ modelID: Type.String(), providerID: Type.String() }, { additionalProperties: false }),
      ),
      variant: Type.Optional(Type.String()),
      prompt: Type.Optional(Type.String()),
      options: Type.Object({}, { additionalProperties: true }),
      steps: Type.Optional(Type.Number()),
    },
    { additionalProperties: false },
  ),
)

export const CommandInfo = named(
  'Command.Info',
  Type.Object(
    {
      name: Type.String(),
      description: Type.Optional(Type.String()),
      agent: Type.Optional(Type.String()),
      model: Type.Optional(Type.String()),
      source: Type.Optional(StringEnum(['command', 'mcp', 'skill'])),
      template: Type.String(),
      subtask: Type.Optional(Type.Boolean()),
      hints: Type.Array(Type.String()),
    },
    { additionalProperties: false },
  ),
)

export const SkillInfo = named(
  'Skill.Info',
  Type.Object(
    {
      name: Type.String(),
      description: Type.String(),
      /** Absolute path of the SKILL.md file. */
      location: Type.String(),
      /** The SKILL.md body, frontmatter removed. */
      content: Type.String(),
    },
    { additionalProperties: false },
  ),
)

export const AGENT_SCHEMAS = [PermissionRule, AgentInfo, CommandInfo, SkillInfo]

// OpenCode 2.1's (`/api/*`) views of the same agents, commands and skills. The `$id`s keep their
// v2 names: `Agent.Info`, `Command.Info` and `Skill.Info` are the v1 shapes above.

export const ModelRef = named(
  'ModelRef',
  Type.Object(
    { id: Type.String(), providerID: Type.String(), variant: Type.Optional(Type.String()) },
    { additionalProperties: false },
  ),
)

export const PermissionV2Rule = named(
  'PermissionV2Rule',
  Type.Object(
    { action: Type.String(), resource: Type.String(), effect: StringEnum(['allow', 'deny', 'ask']) },
    { additionalProperties: false },
  ),
)

/** OpenCode 2.1's `Agent.Info`. */
export const AgentV2Info = named(
  'AgentV2Info',
  Type.Object(
    {
      id: Type.String(),
      name: Type.String(),
      model: Type.Optional(ref(ModelRef)),
      request: Type.Object(
        {
          settings: Type.Object({}, { additionalProperties: true }),
          headers: Type.Record(Type.String(), Type.String()),
          body: Type.Object({}, { additionalProperties: true }),
        },
        { additionalProperties: false },
      ),
      system: Type.Optional(Type.String()),
      description: Type.Optional(Type.String()),
      mode: StringEnum(['subagent', 'primary', 'all']),
      hidden: Type.Boolean(),
      color: Type.Optional(Type.String()),
      steps: Type.Optional(Type.Integer({ exclusiveMinimum: 0 })),
      permissions: Type.Array(ref(PermissionV2Rule)),
    },
    { additionalProperties: false },
  ),
)

/** OpenCode 2.1's `Command.Info`: what a client offers as a slash command. */
export const CommandV2Info = named(
  'CommandV2Info',
  Type.Object({ name: Type.String(), description: Type.Optional(Type.String()) }, { additionalProperties: false }),
)

/** OpenCode 2.1's `Skill.Info`. */
export const SkillV2Info = named(
  'SkillV2Info',
  Type.Object(
    {
      id: Type.String(),
      name: Type.String(),
      description: Type.Optional(Type.String()),
      autoinvoke: Type.Optional(Type.Boolean()),
      /** Absolute path of the SKILL.md file. */
      path: Type.String(),
      /** The SKILL.md body, frontmatter removed. */
      content: Type.String(),
    },
    { additionalProperties: false },
  ),
)

export const AgentNotFoundErrorBody = named(
  'AgentNotFoundError',
  Type.Object(
    { _tag: Type.Literal('AgentNotFoundError'), agentID: Type.String(), message: Type.String() },
    { additionalProperties: false },
  ),
)

export const AGENT_V2_SCHEMAS = [
  ModelRef,
  PermissionV2Rule,
  AgentV2Info,
  CommandV2Info,
  SkillV2Info,
  AgentNotFoundErrorBody,
]
