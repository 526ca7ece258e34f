import { SnapshotFileDiff } from './store/patched-diff.js'
import { Type, type Static, type TSchema } from 'typebox'
import { StringEnum, named, ref } from '../../sdk/index.js'

// OpenCode checks only the prefix; a well-formed unknown id is a 404, a foreign one a 400.
export const SessionId = Type.String({ pattern: '^ses_[0-9A-Za-z]+$', maxLength: 100 })
export const MessageId = Type.String({ pattern: '^msg_[0-9A-Za-z]+$', maxLength: 100 })
export const PartId = Type.String({ pattern: '^prt_[0-9A-Za-z]+$', maxLength: 100 })
export const Json = Type.Record(Type.String(), Type.Unknown())
const Time = Type.Integer({ minimum: 0 })

export const PermissionRule = named(
  'Session.PermissionRule',
  Type.Object({ permission: Type.String(), pattern: Type.String(), action: StringEnum(['allow', 'ask', 'deny']) }),
)

const Tokens = Type.Object({
  total: Type.Optional(Type.Number()),
  input: Type.Number(),
  output: Type.Number(),
  reasoning: Type.Number(),
  cache: Type.Object({ read: Type.Number(), write: Type.Number() }),
})
export type Tokens = Static<typeof Tokens>

export const SessionInfo = named(
  'Session.Info',
  Type.Object({
    id: Type.String(),
    slug: Type.String(),
    projectID: Type.String(),
    workspaceID: Type.Optional(Type.String()),
    directory: Type.String(),
    path: Type.String(),
    parentID: Type.Optional(Type.String()),
    cost: Type.Number(),
    tokens: Tokens,
    share: Type.Optional(Type.Object({ url: Type.String() })),
    summary: Type.Optional(Type.Object({ additions: Type.Number(), deletions: Type.Number(), files: Type.Number() })),
    title: Type.String(),
    agent: Type.Optional(Type.String()),
    model: Type.Optional(
      Type.Object({ id: Type.String(), providerID: Type.String(), variant: Type.Optional(Type.String()) }),
    ),
    version: Type.String(),
    metadata: Type.Optional(Json),
    time: Type.Object({
      created: Time,
      updated: Time,
      compacting: Type.Optional(Time),
      archived: Type.Optional(Type.Number()),
    }),
    permission: Type.Optional(Type.Array(ref(PermissionRule))),
    revert: Type.Optional(
      Type.Object({
        messageID: Type.String(),
        partID: Type.Optional(Type.String()),
        snapshot: Type.Optional(Type.String()),
        diff: Type.Optional(Type.String()),
      }),
    ),
  }),
)
export type SessionInfo = Static<typeof SessionInfo>

export const SessionStatus = named(
  'Session.Status',
  Type.Union([
    Type.Object({ type: Type.Literal('idle') }),
    Type.Object({ type: Type.Literal('busy') }),
    Type.Object({
      type: Type.Literal('retry'),
      attempt: Type.Integer({ minimum: 0 }),
      message: Type.String(),
      next: Time,
    }),
  ]),
)
export type SessionStatus = Static<typeof SessionStatus>

// Message errors, as OpenCode names them.
const ErrorOf = <T extends TSchema>(name: string, data: T) => Type.Object({ name: Type.Literal(name), data })
export const MessageError = named(
  'Message.Error',
  Type.Union([
    ErrorOf('ProviderAuthError', Type.Object({ providerID: Type.String(), message: Type.String() })),
    ErrorOf('UnknownError', Type.Object({ message: Type.String(), ref: Type.Optional(Type.String()) })),
    ErrorOf('MessageOutputLengthError', Type.Object({})),
    ErrorOf('MessageAbortedError', Type.Object({ message: Type.String() })),
    ErrorOf(
      'ContextOverflowError',
      Type.Object({ message: Type.String(), responseBody: Type.Optional(Type.String()) }),
    ),
    ErrorOf('StructuredOutputError', Type.Object({ message: Type.String(), retries: Type.Integer({ minimum: 0 }) })),
    ErrorOf(
      'APIError',
      Type.Object({
        message: Type.String(),
        statusCode: Type.Optional(Type.Integer({ minimum: 0 })),
        isRetryable: Type.Boolean(),
        responseHeaders: Type.Optional(Type.Record(Type.String(), Type.String())),
        responseBody: Type.Optional(Type.String()),
      }),
    ),
  ]),
)
export type MessageError = Static<typeof MessageError>

export const ModelRef = Type.Object({ providerID: Type.String(), modelID: Type.String() })

/**
 * How the reply is wanted: text, or JSON matching `schema` (through the `StructuredOutput` tool).
 * One object rather than a union: request validation strips unknown keys, which would empty the
 * branches of a union before the right one is tried.
 */
export const OutputFormat = named(
  'OutputFormat',
  Type.Object({
    type: Type.Union([Type.Literal('text'), Type.Literal('json_schema')]),
    schema: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema of the answer (with `json_schema`)' }),
    ),
    retryCount: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 10,
        description: 'Reminders when the model answers without the tool (default 2)',
      }),
    ),
  }),
)
export type OutputFormat = Static<typeof OutputFormat>

export const UserMessage = named(
  'Message.User',
  Type.Object({
    id: Type.String(),
    sessionID: Type.String(),
    role: Type.Literal('user'),
    time: Type.Object({ created: Type.Number({ minimum: 0 }) }),
    agent: Type.String(),
    model: Type.Object({ providerID: Type.String(), modelID: Type.String(), variant: Type.Optional(Type.String()) }),
    format: Type.Optional(ref(OutputFormat)),
    system: Type.Optional(Type.String()),
    tools: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
    summary: Type.Optional(
      Type.Object({
        title: Type.Optional(Type.String()),
        body: Type.Optional(Type.String()),
        diffs: Type.Array(Type.Unknown()),
      }),
    ),
  }),
)
export type UserMessage = Static<typeof UserMessage>

export const AssistantMessage = named(
  'Message.Assistant',
  Type.Object({
    id: Type.String(),
    sessionID: Type.String(),
    role: Type.Literal('assistant'),
    time: Type.Object({ created: Time, completed: Type.Optional(Time) }),
    error: Type.Optional(ref(MessageError)),
    parentID: Type.String(),
    modelID: Type.String(),
    providerID: Type.String(),
    mode: Type.String(),
    agent: Type.String(),
    path: Type.Object({ cwd: Type.String(), root: Type.String() }),
    summary: Type.Optional(Type.Boolean()),
    cost: Type.Number(),
    tokens: Tokens,
    /** The JSON the model answered with, for a prompt with `format: {type: "json_schema"}`. */
    structured: Type.Optional(Type.Unknown()),
    finish: Type.Optional(Type.String()),
  }),
)
export type AssistantMessage = Static<typeof AssistantMessage>

export const MessageInfo = named('Message.Info', Type.Union([ref(UserMessage), ref(AssistantMessage)]))
export type MessageInfo = UserMessage | AssistantMessage

const PartBase = { id: Type.String(), sessionID: Type.String(), messageID: Type.String() }
export const TimeSpan = Type.Object({ start: Time, end: Type.Optional(Time) })

export const TextPart = named(
  'Part.Text',
  Type.Object({
    ...PartBase,
    type: Type.Literal('text'),
    text: Type.String(),
    synthetic: Type.Optional(Type.Boolean()),
    ignored: Type.Optional(Type.Boolean()),
    time: Type.Optional(TimeSpan),
    metadata: Type.Optional(Json),
  }),
)
export const ReasoningPart = named(
  'Part.Reasoning',
  Type.Object({
    ...PartBase,
    type: Type.Literal('reasoning'),
    text: Type.String(),
    metadata: Type.Optional(Json),
    time: TimeSpan,
  }),
)
export const FilePartSource = Type.Object(
  {
    type: StringEnum(['file', 'symbol', 'resource']),
    path: Type.Optional(Type.String()),
    text: Type.Optional(Type.Object({ value: Type.String(), start: Type.Integer(), end: Type.Integer() })),
  },
  { additionalProperties: true },
)
export const FilePart = named(
  'Part.File',
  Type.Object({
    ...PartBase,
    type: Type.Literal('file'),
    mime: Type.String(),
    filename: Type.Optional(Type.String()),
    url: Type.String(),
    source: Type.Optional(FilePartSource),
  }),
)

const ToolStatePending = Type.Object({ status: Type.Literal('pending'), input: Json, raw: Type.String() })
const ToolStateRunning = Type.Object({
  status: Type.Literal('running'),
  input: Json,
  title: Type.Optional(Type.String()),
  metadata: Type.Optional(Json),
  time: Type.Object({ start: Time }),
})
const ToolStateCompleted = Type.Object({
  status: Type.Literal('completed'),
  input: Json,
  output: Type.String(),
  title: Type.String(),
  metadata: Json,
  time: Type.Object({ start: Time, end: Time, compacted: Type.Optional(Time) }),
  attachments: Type.Optional(
    Type.Array(
      Type.Object(
        { mime: Type.String(), url: Type.String(), filename: Type.Optional(Type.String()) },
        { additionalProperties: true },
      ),
    ),
  ),
})
const ToolStateError = Type.Object({
  status: Type.Literal('error'),
  input: Json,
  error: Type.String(),
  metadata: Type.Optional(Json),
  time: Type.Object({ start: Time, end: Time }),
})
export const ToolState = named(
  'Part.ToolState',
  Type.Union([ToolStatePending, ToolStateRunning, ToolStateCompleted, ToolStateError]),
)
export type ToolState = Static<typeof ToolState>

export const ToolPart = named(
  'Part.Tool',
  Type.Object({
    ...PartBase,
    type: Type.Literal('tool'),
    callID: Type.String(),
    tool: Type.String(),
    state: ref(ToolState),
    metadata: Type.Optional(Json),
  }),
)
export const StepStartPart = named(
  'Part.StepStart',
  Type.Object({ ...PartBase, type: Type.Literal('step-start'), snapshot: Type.Optional(Type.String()) }),
)
export const StepFinishPart = named(
  'Part.StepFinish',
  Type.Object({
    ...PartBase,
    type: Type.Literal('step-finish'),
    reason: Type.String(),
    snapshot: Type.Optional(Type.String()),
    cost: Type.Number(),
    tokens: Tokens,
  }),
)
export const PatchPart = named(
  'Part.Patch',
  Type.Object({ ...PartBase, type: Type.Literal('patch'), hash: Type.String(), files: Type.Array(Type.String()) }),
)
export const AgentPart = named(
  'Part.Agent',
  Type.Object({
    ...PartBase,
    type: Type.Literal('agent'),
    name: Type.String(),
    source: Type.Optional(
      Type.Object({ value: Type.String(), start: Type.Integer({ minimum: 0 }), end: Type.Integer({ minimum: 0 }) }),
    ),
  }),
)
export const SubtaskPart = named(
  'Part.Subtask',
  Type.Object({
    ...PartBase,
    type: Type.Literal('subtask'),
    prompt: Type.String(),
    description: Type.String(),
    agent: Type.String(),
    model: Type.Optional(ModelRef),
    command: Type.Optional(Type.String()),
  }),
)
export const RetryPart = named(
  'Part.Retry',
  Type.Object({
    ...PartBase,
    type: Type.Literal('retry'),
    attempt: Type.Integer({ minimum: 0 }),
    error: ref(MessageError),
    time: Type.Object({ created: Time }),
  }),
)
export const CompactionPart = named(
  'Part.Compaction',
  Type.Object({
    ...PartBase,
    type: Type.Literal('compaction'),
    auto: Type.Boolean(),
    overflow: Type.Optional(Type.Boolean()),
  }),
)

export const Part = named(
  'Part',
  Type.Union([
    ref(TextPart),
    ref(ReasoningPart),
    ref(FilePart),
    ref(ToolPart),
    ref(StepStartPart),
    ref(StepFinishPart),
    ref(PatchPart),
    ref(AgentPart),
    ref(SubtaskPart),
    ref(RetryPart),
    ref(CompactionPart),
  ]),
)
export type TextPart = Static<typeof TextPart>
export type ReasoningPart = Static<typeof ReasoningPart>
export type FilePart = Static<typeof FilePart>
export type ToolPart = Static<typeof ToolPart>
export type StepStartPart = Static<typeof StepStartPart>
export type StepFinishPart = Static<typeof StepFinishPart>
export type SubtaskPart = Static<typeof SubtaskPart>
export type CompactionPart = Static<typeof CompactionPart>
export type Part =
  | TextPart
  | ReasoningPart
  | FilePart
  | ToolPart
  | StepStartPart
  | StepFinishPart
  | Static<typeof PatchPart>
  | Static<typeof AgentPart>
  | SubtaskPart
  | Static<typeof RetryPart>
  | CompactionPart

export const MessageWithParts = named(
  'Message.WithParts',
  Type.Object({ info: ref(MessageInfo), parts: Type.Array(ref(Part)) }),
)
export interface MessageWithParts {
  info: MessageInfo
  parts: Part[]
}

/** What changed in one file between two snapshots, as OpenCode's `FileDiff`. */
export const FileDiff = named(
  'FileDiff',
  Type.Object({
    file: Type.String({ description: 'Path relative to the worktree' }),
    before: Type.String({ description: 'Content before (empty when added, binary or too large)' }),
    after: Type.String({ description: 'Content after (empty when deleted, binary or too large)' }),
    additions: Type.Number(),
    deletions: Type.Number(),
    status: Type.Optional(Type.Union([Type.Literal('added'), Type.Literal('deleted'), Type.Literal('modified')])),
  }),
)

/** The stored model's shared schemas, in the order they are registered (each after those it refers to). */
export const SESSION_SCHEMAS = [
  FileDiff,
  SnapshotFileDiff,
  PermissionRule,
  SessionInfo,
  SessionStatus,
  MessageError,
  OutputFormat,
  UserMessage,
  AssistantMessage,
  MessageInfo,
  TextPart,
  ReasoningPart,
  FilePart,
  ToolState,
  ToolPart,
  StepStartPart,
  StepFinishPart,
  PatchPart,
  AgentPart,
  SubtaskPart,
  RetryPart,
  CompactionPart,
  Part,
  MessageWithParts,
]

export { SnapshotFileDiff }
