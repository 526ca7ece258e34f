import { Type } from 'typebox'
import { LocationRef, StringEnum, named, ref } from '../../../../sdk/index.js'
import { Tokens } from '../v21/schemas.js'

// The v2 (`/api/session…`) shapes: views over the same stored sessions, messages and parts.

const Json = Type.Object({}, { additionalProperties: true })
const SessionModelRef = Type.Object(
  { id: Type.String(), providerID: Type.String(), variant: Type.Optional(Type.String()) },
  { additionalProperties: false },
)

export const RevertState = named(
  'RevertState',
  Type.Object(
    {
      messageID: Type.String(),
      partID: Type.Optional(Type.String()),
      snapshot: Type.Optional(Type.String()),
      diff: Type.Optional(Type.String()),
      files: Type.Optional(
        Type.Array(
          Type.Object(
            {
              path: Type.String(),
              status: StringEnum(['added', 'modified', 'deleted']),
              additions: Type.Integer(),
              deletions: Type.Integer(),
              patch: Type.String(),
            },
            { additionalProperties: false },
          ),
        ),
      ),
    },
    { additionalProperties: false },
  ),
)

export const SessionV2Info = named(
  'SessionV2Info',
  Type.Object(
    {
      id: Type.String(),
      parentID: Type.Optional(Type.String()),
      projectID: Type.String(),
      agent: Type.Optional(Type.String()),
      model: Type.Optional(SessionModelRef),
      cost: Type.Number(),
      tokens: Tokens,
      time: Type.Object(
        { created: Type.Number(), updated: Type.Number(), archived: Type.Optional(Type.Number()) },
        { additionalProperties: false },
      ),
      title: Type.String(),
      location: ref(LocationRef),
      subpath: Type.Optional(Type.String()),
      revert: Type.Optional(ref(RevertState)),
    },
    { additionalProperties: false },
  ),
)

const Created = Type.Object({ created: Type.Number() }, { additionalProperties: false })
const CreatedCompleted = Type.Object(
  { created: Type.Number(), completed: Type.Optional(Type.Number()) },
  { additionalProperties: false },
)
const FileAttachment = Type.Object(
  {
    uri: Type.String(),
    mime: Type.String(),
    name: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)
const ToolContent = Type.Object(
  { type: Type.String(), text: Type.Optional(Type.String()) },
  { additionalProperties: true },
)
const UnknownError = Type.Object(
  { type: Type.Literal('unknown'), message: Type.String() },
  { additionalProperties: false },
)

export const SessionMessageUser = named(
  'SessionMessageUser',
  Type.Object(
    {
      id: Type.String(),
      metadata: Type.Optional(Json),
      time: Created,
      text: Type.String(),
      files: Type.Optional(Type.Array(FileAttachment)),
      agents: Type.Optional(Type.Array(Type.Object({ name: Type.String() }, { additionalProperties: false }))),
      type: Type.Literal('user'),
    },
    { additionalProperties: false },
  ),
)

const ToolState = Type.Union([
  Type.Object({ status: Type.Literal('pending'), input: Type.String() }, { additionalProperties: false }),
  Type.Object(
    { status: Type.Literal('running'), input: Json, structured: Json, content: Type.Array(ToolContent) },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      status: Type.Literal('completed'),
      input: Json,
      attachments: Type.Optional(Type.Array(FileAttachment)),
      content: Type.Array(ToolContent),
      outputPaths: Type.Optional(Type.Array(Type.String())),
      structured: Json,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      status: Type.Literal('error'),
      input: Json,
      content: Type.Array(ToolContent),
      structured: Json,
      error: UnknownError,
    },
    { additionalProperties: false },
  ),
])

export const SessionMessageAssistant = named(
  'SessionMessageAssistant',
  Type.Object(
    {
      id: Type.String(),
      metadata: Type.Optional(Json),
      time: CreatedCompleted,
      type: Type.Literal('assistant'),
      agent: Type.String(),
      model: SessionModelRef,
      content: Type.Array(
        Type.Union([
          Type.Object(
            { type: Type.Literal('text'), id: Type.String(), text: Type.String() },
            { additionalProperties: false },
          ),
          Type.Object(
            {
              type: Type.Literal('reasoning'),
              id: Type.String(),
              text: Type.String(),
              time: Type.Optional(CreatedCompleted),
            },
            { additionalProperties: false },
          ),
          Type.Object(
            {
              type: Type.Literal('tool'),
              id: Type.String(),
              name: Type.String(),
              provider: Type.Object({ executed: Type.Boolean() }, { additionalProperties: false }),
              state: ToolState,
              time: Type.Object(
                { created: Type.Number(), ran: Type.Optional(Type.Number()), completed: Type.Optional(Type.Number()) },
                { additionalProperties: false },
              ),
            },
            { additionalProperties: false },
          ),
        ]),
      ),
      snapshot: Type.Optional(
        Type.Object(
          {
            start: Type.Optional(Type.String()),
            end: Type.Optional(Type.String()),
            files: Type.Optional(Type.Array(Type.String())),
          },
          { additionalProperties: false },
        ),
      ),
      finish: Type.Optional(Type.String()),
      cost: Type.Optional(Type.Number()),
      tokens: Type.Optional(Tokens),
      error: Type.Optional(UnknownError),
    },
    { additionalProperties: false },
  ),
)

export const SessionMessageCompaction = named(
  'SessionMessageCompaction',
  Type.Object(
    {
      type: Type.Literal('compaction'),
      reason: StringEnum(['auto', 'manual']),
      summary: Type.String(),
      recent: Type.String(),
      id: Type.String(),
      metadata: Type.Optional(Json),
      time: Created,
    },
    { additionalProperties: false },
  ),
)

export const SessionMessage = named(
  'SessionMessage',
  Type.Union([ref(SessionMessageUser), ref(SessionMessageAssistant), ref(SessionMessageCompaction)]),
)

export const Cursors = Type.Object(
  { previous: Type.Optional(Type.String()), next: Type.Optional(Type.String()) },
  { additionalProperties: false },
)

export const SessionNotFoundErrorBody = named(
  'SessionNotFoundError',
  Type.Object(
    { _tag: Type.Literal('SessionNotFoundError'), sessionID: Type.String(), message: Type.String() },
    { additionalProperties: false },
  ),
)

export const MessageNotFoundErrorBody = named(
  'MessageNotFoundError',
  Type.Object(
    {
      _tag: Type.Literal('MessageNotFoundError'),
      sessionID: Type.String(),
      messageID: Type.String(),
      message: Type.String(),
    },
    { additionalProperties: false },
  ),
)

export const SESSION_V2_SCHEMAS = [
  RevertState,
  SessionV2Info,
  SessionMessageUser,
  SessionMessageAssistant,
  SessionMessageCompaction,
  SessionMessage,
  SessionNotFoundErrorBody,
  MessageNotFoundErrorBody,
]
