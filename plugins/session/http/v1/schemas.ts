// The v1 routes' params, queries and bodies (the stored model's schemas are ../../schemas.ts).
import { Type } from 'typebox'
import { InstanceQuery, StringEnum, named, ref } from '../../../../sdk/index.js'
import { Json, MessageId, ModelRef, PartId, PermissionRule, SessionId, SessionInfo } from '../../schemas.js'
import { FilePartInput } from '../../prompt-schemas.js'

export const SessionParams = Type.Object({ sessionID: SessionId })
export const MessageParams = Type.Object({ sessionID: SessionId, messageID: MessageId })
export const PartParams = Type.Object({ sessionID: SessionId, messageID: MessageId, partID: PartId })

export const SessionCreateInput = Type.Object({
  parentID: Type.Optional(SessionId),
  title: Type.Optional(Type.String({ maxLength: 1000 })),
  agent: Type.Optional(Type.String({ maxLength: 200 })),
  model: Type.Optional(
    Type.Object({ id: Type.String(), providerID: Type.String(), variant: Type.Optional(Type.String()) }),
  ),
  metadata: Type.Optional(Json),
  permission: Type.Optional(Type.Array(ref(PermissionRule))),
})

export const SessionUpdateInput = Type.Object({
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  metadata: Type.Optional(Json),
  permission: Type.Optional(Type.Array(ref(PermissionRule))),
  time: Type.Optional(Type.Object({ archived: Type.Optional(Type.Union([Type.Number({ minimum: 0 }), Type.Null()])) })),
})

export const SessionListQuery = Type.Object({
  directory: Type.Optional(Type.String()),
  workspace: Type.Optional(Type.String()),
  /** `project`: every directory of the project, not only the requested one. */
  scope: Type.Optional(StringEnum(['directory', 'project'])),
  roots: Type.Optional(Type.Boolean()),
  start: Type.Optional(Type.Number({ minimum: 0 })),
  search: Type.Optional(Type.String({ maxLength: 1000 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
})

export const MessageListQuery = Type.Object({
  directory: Type.Optional(Type.String()),
  workspace: Type.Optional(Type.String()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
  before: Type.Optional(Type.String({ maxLength: 500 })),
})

export const DiffQuery = Type.Object({
  ...InstanceQuery,
  messageID: Type.Optional(Type.String({ pattern: '^msg', maxLength: 100 })),
})

export const RevertInput = Type.Object(
  {
    messageID: Type.String({ pattern: '^msg', maxLength: 100 }),
    partID: Type.Optional(Type.String({ pattern: '^prt', maxLength: 100 })),
  },
  { additionalProperties: false },
)

export const ForkInput = Type.Object(
  { messageID: Type.Optional(Type.String({ pattern: '^msg', maxLength: 100 })) },
  { additionalProperties: false },
)

const ModelName = Type.String({ minLength: 1, maxLength: 400, description: '`providerID/modelID`' })

export const ShellInput = Type.Object(
  {
    agent: Type.String({ minLength: 1, maxLength: 200 }),
    command: Type.String({ minLength: 1, maxLength: 100_000 }),
    model: Type.Optional(ModelRef),
    messageID: Type.Optional(MessageId),
  },
  { additionalProperties: false },
)

export const CommandInput = Type.Object(
  {
    command: Type.String({ minLength: 1, maxLength: 200, description: 'The command name, without the slash' }),
    arguments: Type.String({ maxLength: 1_000_000 }),
    agent: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    model: Type.Optional(Type.Union([ModelName, ModelRef])),
    messageID: Type.Optional(MessageId),
    variant: Type.Optional(Type.String()),
    parts: Type.Optional(Type.Array(FilePartInput, { maxItems: 100 })),
  },
  { additionalProperties: false },
)

export const SummarizeInput = Type.Object(
  {
    providerID: Type.String({ minLength: 1 }),
    modelID: Type.String({ minLength: 1 }),
    auto: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

export const InitInput = Type.Object(
  { messageID: MessageId, providerID: Type.String({ minLength: 1 }), modelID: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
)

// ---- `GET /experimental/session` ----

export const ProjectSummary = named(
  'ProjectSummary',
  Type.Object(
    { id: Type.String(), name: Type.Optional(Type.String()), worktree: Type.String() },
    { additionalProperties: false },
  ),
)

/** A session with the project it belongs to (`null` when that project is not recorded). */
export const GlobalSession = named(
  'GlobalSession',
  Type.Unsafe<unknown>({
    allOf: [ref(SessionInfo), Type.Object({ project: Type.Union([ref(ProjectSummary), Type.Null()]) })],
  }),
)

export const GlobalSessionQuery = Type.Object({
  ...InstanceQuery,
  roots: Type.Optional(Type.Boolean({ description: 'Only sessions without a parent' })),
  start: Type.Optional(Type.Number({ minimum: 0, description: 'Only sessions updated at or after this time (ms)' })),
  cursor: Type.Optional(
    Type.Number({ minimum: 0, description: 'The `x-next-cursor` of the previous page: sessions updated before it' }),
  ),
  search: Type.Optional(Type.String({ maxLength: 1000, description: 'Part of the title' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Default 100' })),
  archived: Type.Optional(Type.Boolean({ description: 'Archived sessions too (left out by default)' })),
})
