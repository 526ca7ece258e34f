import { Type, type Static } from 'typebox'
import { named, StringEnum } from '../../kernel/schemas.js'

/**
 * OpenCode's `LSPStatus` plus what a client needs before any server runs. `status` extends
 * OpenCode's `connected | error` with `available | unavailable | disabled`: no client runs yet.
 */
export const LSPStatus = named(
  'LSPStatus',
  Type.Object(
    {
      id: Type.String(),
      name: Type.String(),
      root: Type.String({ description: 'Where the server would run (the worktree)' }),
      status: StringEnum(['connected', 'error', 'available', 'unavailable', 'disabled']),
      extensions: Type.Array(Type.String()),
      command: Type.Array(Type.String()),
      available: Type.Boolean({ description: 'The program is installed (node_modules/.bin or PATH)' }),
    },
    { additionalProperties: false },
  ),
)
export type LSPStatus = Static<typeof LSPStatus>
