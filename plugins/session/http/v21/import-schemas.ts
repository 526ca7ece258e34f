// What `POST /api/experimental/session/import` accepts, checked item by item so that a bad message
// is named (`messages[3]: …`): 2.1's transcript items (`Session.Message.*`, open to fields a newer
// release adds) and 1.x's `{info, parts}` messages (`opencode export`), checked against the stored
// model's own schemas.
import { Type, type TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { InvalidRequestError, StringEnum } from '../../../../sdk/index.js'
import { MessageWithParts, SESSION_SCHEMAS, SessionInfo } from '../../schemas.js'

const Open = { additionalProperties: true }
const Json = Type.Object({}, Open)
const MessageID = Type.String({ pattern: '^msg_[0-9A-Za-z]+$', maxLength: 100 })
const Model = Type.Object({ id: Type.String({ minLength: 1 }), providerID: Type.String({ minLength: 1 }) }, Open)
const Tokens = Type.Object(
  {
    input: Type.Number(),
    output: Type.Number(),
    reasoning: Type.Number(),
    cache: Type.Object({ read: Type.Number(), write: Type.Number() }),
  },
  Open,
)
const StructuredError = Type.Object({ type: Type.String(), message: Type.String() }, Open)
const Time = Type.Object({ created: Type.Number({ minimum: 0 }), completed: Type.Optional(Type.Number()) }, Open)
const item = (type: string, properties: Record<string, TSchema>) =>
  Type.Object(
    { id: MessageID, type: Type.Literal(type), time: Time, metadata: Type.Optional(Json), ...properties },
    Open,
  )

const File = Type.Object(
  { data: Type.String(), mime: Type.String(), source: Json, name: Type.Optional(Type.String()) },
  Open,
)
const ToolTime = Type.Object(
  { created: Type.Number(), ran: Type.Optional(Type.Number()), completed: Type.Optional(Type.Number()) },
  Open,
)
const Tool = Type.Object(
  {
    type: Type.Literal('tool'),
    id: Type.String(),
    name: Type.String(),
    time: ToolTime,
    state: Type.Union([
      Type.Object({ status: Type.Literal('streaming'), input: Type.String() }, Open),
      Type.Object({ status: Type.Literal('running'), input: Json }, Open),
      Type.Object({ status: Type.Literal('completed'), input: Json, content: Type.Array(Json) }, Open),
      Type.Object({ status: Type.Literal('error'), input: Json, error: StructuredError }, Open),
    ]),
  },
  Open,
)
const Content = Type.Union([
  Type.Object({ type: Type.Literal('text'), text: Type.String() }, Open),
  Type.Object({ type: Type.Literal('reasoning'), text: Type.String(), time: ToolTime }, Open),
  Tool,
])

/** 2.1's transcript items by `type`. */
export const ITEM_SCHEMAS: Record<string, TSchema> = {
  user: item('user', {
    text: Type.String(),
    files: Type.Optional(Type.Array(File)),
    agents: Type.Optional(Type.Array(Type.Object({ name: Type.String() }, Open))),
    skills: Type.Optional(Type.Array(Json)),
  }),
  synthetic: item('synthetic', { text: Type.String(), description: Type.Optional(Type.String()) }),
  assistant: item('assistant', {
    agent: Type.String(),
    model: Model,
    content: Type.Array(Content),
    snapshot: Type.Optional(
      Type.Object(
        {
          start: Type.Optional(Type.String()),
          end: Type.Optional(Type.String()),
          files: Type.Optional(Type.Array(Type.String())),
        },
        Open,
      ),
    ),
    finish: Type.Optional(Type.String()),
    rawFinish: Type.Optional(Type.String()),
    cost: Type.Optional(Type.Number()),
    tokens: Type.Optional(Tokens),
    error: Type.Optional(StructuredError),
  }),
  compaction: item('compaction', {
    status: StringEnum(['running', 'completed', 'failed']),
    reason: StringEnum(['auto', 'manual']),
    model: Type.Optional(Model),
    summary: Type.Optional(Type.String()),
    error: Type.Optional(StructuredError),
  }),
  idle: item('idle', {
    outcome: StringEnum(['succeeded', 'failed', 'interrupted']),
    error: Type.Optional(StructuredError),
  }),
  'agent-switched': item('agent-switched', { agent: Type.String({ minLength: 1 }) }),
  'model-switched': item('model-switched', { model: Model }),
  'location-switched': item('location-switched', { location: Type.Object({ directory: Type.String() }, Open) }),
  system: item('system', { text: Type.String() }),
  skill: item('skill', { skill: Type.String(), name: Type.String(), text: Type.String() }),
  shell: item('shell', {
    shellID: Type.String(),
    command: Type.String(),
    status: StringEnum(['running', 'exited', 'timeout', 'killed']),
  }),
}

/** 2.1's `Session.Info` as an export carries it (what the import reads of it). */
export const Info21 = Type.Object(
  {
    id: Type.String(),
    parentID: Type.Optional(Type.String()),
    agent: Type.Optional(Type.String()),
    model: Type.Optional(Model),
    cost: Type.Number(),
    tokens: Tokens,
    time: Type.Object({ created: Type.Number({ minimum: 0 }), updated: Type.Number({ minimum: 0 }) }, Open),
    title: Type.Optional(Type.String()),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    permissions: Type.Optional(
      Type.Array(
        Type.Object({ action: Type.String(), resource: Type.String(), effect: StringEnum(['allow', 'deny', 'ask']) }),
      ),
    ),
    location: Type.Optional(Type.Object({ directory: Type.String() }, Open)),
  },
  Open,
)

/** The stored model's named schemas, which its `$ref`s name. */
const CONTEXT = Object.fromEntries(SESSION_SCHEMAS.map((schema) => [schema.$id, schema]))

/** Throws a 400 naming `where` and the first thing wrong, unless `value` matches. */
export function check(schema: TSchema, value: unknown, where: string, stored = false): void {
  const ok = stored ? Value.Check(CONTEXT, schema, value) : Value.Check(schema, value)
  if (ok) return
  const [first] = stored ? Value.Errors(CONTEXT, schema, value) : Value.Errors(schema, value)
  const at = first?.instancePath ? `${where}${first.instancePath.replaceAll('/', '.')}` : where
  throw new InvalidRequestError(`Invalid ${at}: ${first?.message ?? 'unexpected value'}`, {
    kind: 'Payload',
    field: where,
  })
}

export const V1Info = SessionInfo
export const V1Message = MessageWithParts
