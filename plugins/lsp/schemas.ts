import { Type, type Static } from 'typebox'
import { StringEnum, named } from '../../sdk/index.js'

/** OpenCode's `LSPStatus`: a language server running for this instance. */
export const LSPStatus = named(
  'LSPStatus',
  Type.Object(
    {
      id: Type.String(),
      name: Type.String(),
      root: Type.String({ description: 'Where the server runs (the worktree)' }),
      status: StringEnum(['connected', 'error']),
    },
    { additionalProperties: false },
  ),
)
export type LSPStatus = Static<typeof LSPStatus>

/**
 * Every configured server, running or not (`GET /lsp?all=true`): `status` extends OpenCode's
 * `connected | error` with `available | unavailable | disabled` for servers no client runs yet.
 */
export const LSPServer = named(
  'LSPServer',
  Type.Object(
    {
      id: Type.String(),
      name: Type.String(),
      root: Type.String({ description: 'Where the server runs or would run (the worktree)' }),
      status: StringEnum(['connected', 'error', 'available', 'unavailable', 'disabled']),
      extensions: Type.Array(Type.String()),
      command: Type.Array(Type.String()),
      available: Type.Boolean({ description: 'The program is installed (node_modules/.bin or PATH)' }),
      error: Type.Optional(Type.String({ description: 'Why the last start failed (or that the server exited)' })),
      attempts: Type.Optional(
        Type.Integer({ minimum: 1, description: 'Failed starts and exits in this directory so far' }),
      ),
      retryAt: Type.Optional(
        Type.Number({
          description: 'When (ms since epoch) the server may be started again, on the next edit of a file it handles',
        }),
      ),
    },
    { additionalProperties: false },
  ),
)
export type LSPServer = Static<typeof LSPServer>
