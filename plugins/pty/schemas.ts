import { Type, type Static } from 'typebox'
import { InstanceQuery, named } from '../../sdk/index.js'

/** `pty_…`: a terminal (`pty_<ascending id>`) or a persistent one (`pty_persistent_<digits>`). */
export const PtyId = Type.String({ pattern: '^pty_[0-9A-Za-z_]+$', maxLength: 100 })

/** A terminal, as OpenCode's `Pty`. */
export const PtyInfo = named(
  'Pty',
  Type.Object({
    id: PtyId,
    title: Type.String(),
    command: Type.String(),
    args: Type.Array(Type.String()),
    cwd: Type.String(),
    status: Type.Union([Type.Literal('running'), Type.Literal('exited')]),
    pid: Type.Integer({ minimum: 0 }),
    exitCode: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
)
export type PtyInfo = Static<typeof PtyInfo>

export const PtyShell = named(
  'Pty.Shell',
  Type.Object({ path: Type.String(), name: Type.String(), acceptable: Type.Boolean() }),
)
export type PtyShell = Static<typeof PtyShell>

export const PtyCreateInput = Type.Object(
  {
    command: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    args: Type.Optional(Type.Array(Type.String({ maxLength: 100_000 }), { maxItems: 1000 })),
    cwd: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    title: Type.Optional(Type.String({ maxLength: 1000 })),
    env: Type.Optional(Type.Record(Type.String({ pattern: '^[^=\\u0000]+$' }), Type.String({ maxLength: 100_000 }))),
  },
  { additionalProperties: false },
)
export type PtyCreateInput = Static<typeof PtyCreateInput>

const Dimension = Type.Integer({ minimum: 1, maximum: 10_000 })
export const PtyUpdateInput = Type.Object(
  {
    title: Type.Optional(Type.String({ maxLength: 1000 })),
    size: Type.Optional(Type.Object({ rows: Dimension, cols: Dimension }, { additionalProperties: false })),
  },
  { additionalProperties: false },
)
export type PtyUpdateInput = Static<typeof PtyUpdateInput>

export const PtyParams = Type.Object({ ptyID: PtyId })
export const ConnectQuery = Type.Object({
  ...InstanceQuery,
  cursor: Type.Optional(Type.String({ maxLength: 32 })),
  ticket: Type.Optional(Type.String({ maxLength: 200 })),
})
export const ConnectToken = Type.Object({ ticket: Type.String(), expires_in: Type.Integer() })

/** The v2 routes' 404 (`/api/pty/:ptyID…`). */
export const PtyNotFoundErrorBody = named(
  'PtyNotFoundError',
  Type.Object(
    { _tag: Type.Literal('PtyNotFoundError'), ptyID: Type.String(), message: Type.String() },
    { additionalProperties: false },
  ),
)
