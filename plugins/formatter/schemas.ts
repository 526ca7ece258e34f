import { Type, type Static } from 'typebox'
import { named } from '../../sdk/index.js'

/** OpenCode's `FormatterStatus` plus the command and whether it is installed. */
export const FormatterStatus = named(
  'FormatterStatus',
  Type.Object(
    {
      name: Type.String(),
      extensions: Type.Array(Type.String()),
      enabled: Type.Boolean({ description: 'Not disabled by config, and available' }),
      command: Type.Array(Type.String()),
      available: Type.Boolean({ description: 'The program is installed (node_modules/.bin or PATH)' }),
    },
    { additionalProperties: false },
  ),
)
export type FormatterStatus = Static<typeof FormatterStatus>
