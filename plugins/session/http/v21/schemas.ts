import { Type } from 'typebox'
import { StringEnum, named } from '../../../../sdk/index.js'

// OpenCode 2.1's session shapes (`/api/session…`), views over the one stored conversation.
// Nested objects stay open where 2.1's own schema is a union this server fills in views.ts.

const Json = Type.Object({}, { additionalProperties: true })
/** `TokenUsage.Info`: a session's, a step's or a model's token counts. */
export const Tokens = Type.Object(
  {
    input: Type.Number(),
    output: Type.Number(),
    reasoning: Type.Number(),
    cache: Type.Object({ read: Type.Number(), write: Type.Number() }, { additionalProperties: false }),
  },
  { additionalProperties: false },
)
export const ModelRef21 = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 500 }),
    providerID: Type.String({ minLength: 1, maxLength: 200 }),
    variant: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)

/** `Permission.Rule`: what a session may do (`effect`) with a tool (`action`) on `resource`. */
export const PermissionRule21 = Type.Object(
  {
    action: Type.String({ minLength: 1, maxLength: 200 }),
    resource: Type.String({ maxLength: 4096 }),
    effect: StringEnum(['allow', 'deny', 'ask']),
  },
  { additionalProperties: false },
)

export const Session21Info = named(
  'Session21.Info',
  Type.Object(
    {
      id: Type.String(),
      parentID: Type.Optional(Type.String()),
      projectID: Type.String(),
      agent: Type.Optional(Type.String()),
      model: Type.Optional(ModelRef21),
      cost: Type.Number(),
      tokens: Tokens,
      outcome: Type.Optional(StringEnum(['succeeded', 'failed', 'interrupted'])),
      time: Type.Object(
        {
          created: Type.Number(),
          updated: Type.Number(),
          idle: Type.Optional(Type.Number()),
          viewed: Type.Optional(Type.Number()),
          archived: Type.Optional(Type.Number()),
        },
        { additionalProperties: false },
      ),
      title: Type.Optional(Type.String()),
      subpath: Type.Optional(Type.String()),
      metadata: Type.Optional(Json),
      permissions: Type.Optional(Type.Array(Json)),
      revert: Type.Optional(Json),
      location: Type.Object({ directory: Type.String() }, { additionalProperties: false }),
    },
    { additionalProperties: false },
  ),
)

/** `Session.Message.Info`: one of 2.1's message types (`type`), as views.ts builds it. */
export const Session21Message = named(
  'Session21.Message',
  Type.Object(
    {
      id: Type.String(),
      type: Type.String(),
      time: Type.Object({ created: Type.Number() }, { additionalProperties: true }),
    },
    { additionalProperties: true },
  ),
)

/** `Session.Inbox.Info`: input admitted and not delivered yet (`user`, `synthetic`, `compaction`). */
export const Session21InboxItem = named(
  'Session21.InboxItem',
  Type.Object(
    {
      id: Type.String(),
      sessionID: Type.String(),
      time: Type.Object({ created: Type.Number() }, { additionalProperties: false }),
      type: Type.String(),
      payload: Json,
      delivery: StringEnum(['steer', 'queue']),
    },
    { additionalProperties: false },
  ),
)

export const NullableCursors = Type.Object(
  {
    previous: Type.Union([Type.String(), Type.Null()]),
    next: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
)

export const SESSION_21_SCHEMAS = [Session21Info, Session21Message, Session21InboxItem]
