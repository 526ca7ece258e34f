// What a prompt sends: v1 `POST /session/:id/message`'s body (`Session.PromptInput`) and its
// parts. v2 prompts and slash commands are turned into it before admission.
import { Type, type Static } from 'typebox'
import { named, ref } from '../../sdk/index.js'
import { FilePartSource, Json, MessageId, ModelRef, OutputFormat, PartId, TimeSpan } from './schemas.js'

const TextPartInput = Type.Object({
  id: Type.Optional(PartId),
  type: Type.Literal('text'),
  text: Type.String({ maxLength: 10_000_000 }),
  synthetic: Type.Optional(Type.Boolean()),
  ignored: Type.Optional(Type.Boolean()),
  time: Type.Optional(TimeSpan),
  metadata: Type.Optional(Json),
})
export const FilePartInput = Type.Object({
  id: Type.Optional(PartId),
  type: Type.Literal('file'),
  mime: Type.String({ minLength: 1, maxLength: 200 }),
  filename: Type.Optional(Type.String({ maxLength: 4096 })),
  url: Type.String({ minLength: 1 }),
  source: Type.Optional(FilePartSource),
})
const AgentPartInput = Type.Object({
  id: Type.Optional(PartId),
  type: Type.Literal('agent'),
  name: Type.String({ minLength: 1 }),
  source: Type.Optional(
    Type.Object({ value: Type.String(), start: Type.Integer({ minimum: 0 }), end: Type.Integer({ minimum: 0 }) }),
  ),
})
const SubtaskPartInput = Type.Object({
  id: Type.Optional(PartId),
  type: Type.Literal('subtask'),
  prompt: Type.String(),
  description: Type.String(),
  agent: Type.String(),
  model: Type.Optional(ModelRef),
  command: Type.Optional(Type.String()),
})
export const PartInput = Type.Union([TextPartInput, FilePartInput, AgentPartInput, SubtaskPartInput])
export type PartInput = Static<typeof PartInput>

export const PromptInput = named(
  'Session.PromptInput',
  Type.Object({
    messageID: Type.Optional(MessageId),
    model: Type.Optional(ModelRef),
    agent: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    noReply: Type.Optional(Type.Boolean()),
    system: Type.Optional(Type.String({ maxLength: 1_000_000 })),
    tools: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
    variant: Type.Optional(Type.String()),
    format: Type.Optional(ref(OutputFormat)),
    parts: Type.Array(PartInput, { minItems: 1, maxItems: 1000 }),
  }),
)
export type PromptInput = Static<typeof PromptInput>
