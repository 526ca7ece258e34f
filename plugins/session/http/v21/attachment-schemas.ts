import { Type } from 'typebox'

/** Where an attachment was mentioned in the text (`@a.txt`): offsets and the mention itself. */
export const Mention = Type.Object(
  { start: Type.Integer({ minimum: 0 }), end: Type.Integer({ minimum: 0 }), text: Type.String({ maxLength: 100_000 }) },
  { additionalProperties: false },
)

/** The files a 2.1 input attaches (`POST …/prompt`, `…/command`): read in at admission. */
export const PromptFiles = Type.Optional(
  Type.Array(
    Type.Object(
      {
        uri: Type.String({ minLength: 1, maxLength: 100_000_000 }),
        name: Type.Optional(Type.String({ maxLength: 4096 })),
        description: Type.Optional(Type.String({ maxLength: 100_000 })),
        mention: Type.Optional(Mention),
      },
      { additionalProperties: false },
    ),
    { maxItems: 100 },
  ),
)

/** The agents a 2.1 input names. */
export const PromptAgents = Type.Optional(
  Type.Array(
    Type.Object(
      { name: Type.String({ minLength: 1, maxLength: 200 }), mention: Type.Optional(Mention) },
      { additionalProperties: false },
    ),
    { maxItems: 100 },
  ),
)
