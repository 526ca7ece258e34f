import { Type } from 'typebox'
import { named, ref } from '../../sdk/index.js'

export const QuestionOption = named(
  'QuestionOption',
  Type.Object(
    {
      label: Type.String({ description: 'Display text (1-5 words, concise)' }),
      description: Type.String({ description: 'Explanation of choice' }),
    },
    { additionalProperties: false },
  ),
)

export const QuestionInfo = named(
  'QuestionInfo',
  Type.Object(
    {
      question: Type.String({ description: 'Complete question' }),
      header: Type.String({ description: 'Very short label (max 30 chars)' }),
      options: Type.Array(ref(QuestionOption), { description: 'Available choices' }),
      multiple: Type.Optional(Type.Boolean({ description: 'Allow selecting multiple choices' })),
      custom: Type.Optional(Type.Boolean({ description: 'Allow typing a custom answer (default: true)' })),
    },
    { additionalProperties: false },
  ),
)

export const QuestionTool = Type.Object(
  { messageID: Type.String(), callID: Type.String() },
  { additionalProperties: false },
)

/** One array of chosen labels (or typed text) per question. */
export const QuestionAnswer = named('QuestionAnswer', Type.Array(Type.String({ maxLength: 10_000 }), { maxItems: 100 }))

export const QuestionRequestFields = {
  id: Type.String({ pattern: '^que' }),
  sessionID: Type.String({ pattern: '^ses' }),
  questions: Type.Array(ref(QuestionInfo), { description: 'Questions to ask' }),
  tool: Type.Optional(QuestionTool),
}

export const QuestionRequest = named(
  'QuestionRequest',
  Type.Object(QuestionRequestFields, { additionalProperties: false }),
)

export const QuestionReplyInput = Type.Object(
  {
    answers: Type.Array(ref(QuestionAnswer), {
      maxItems: 100,
      description: 'User answers in order of questions (each answer is an array of selected labels)',
    }),
  },
  { additionalProperties: false },
)

export const QuestionParams = Type.Object({ requestID: Type.String({ pattern: '^que', maxLength: 100 }) })
