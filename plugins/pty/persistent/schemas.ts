import { Type, type Static } from 'typebox'
import { named, ref } from '../../../sdk/index.js'
import { PtyId } from '../schemas.js'

// OpenCode 2.1's persistent terminals (`PersistentPty.*`): a session's terminals, kept on the
// server with their screen, whatever clients come and go.

/** Columns and rows a persistent terminal may have (its screen is kept in memory, so both are bounded). */
export const MAX_COLS = 500
export const MAX_ROWS = 200

export const Size = Type.Object(
  { cols: Type.Integer({ minimum: 1, maximum: MAX_COLS }), rows: Type.Integer({ minimum: 1, maximum: MAX_ROWS }) },
  { additionalProperties: false },
)
export type Size = Static<typeof Size>

export const SessionID = Type.String({ pattern: '^ses', maxLength: 100 })
export const SessionParams = Type.Object({ sessionID: SessionID })
export const PersistentPtyParams = Type.Object({ ptyID: PtyId })

export const PersistentPtyInfo = named(
  'PersistentPty.Info',
  Type.Object(
    {
      id: PtyId,
      title: Type.String(),
      command: Type.String(),
      args: Type.Array(Type.String()),
      cwd: Type.String(),
      status: Type.Union([Type.Literal('running'), Type.Literal('exited')]),
      pid: Type.Integer({ minimum: 0 }),
      exitCode: Type.Optional(Type.Integer({ minimum: 0 })),
      sessionID: Type.String(),
      /** The program in the terminal's foreground (the shell, or what it runs); null once it exited. */
      foregroundProcess: Type.Union([Type.String(), Type.Null()]),
      size: Type.Object({ cols: Type.Integer(), rows: Type.Integer() }, { additionalProperties: false }),
      /** Byte offsets of the output kept for replay: `head` the oldest kept, `tail` the end. */
      output: Type.Object(
        { head: Type.Integer({ minimum: 0 }), tail: Type.Integer({ minimum: 0 }) },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
)
export type PersistentPtyInfo = Static<typeof PersistentPtyInfo>

export const PersistentPtyCreateInput = Type.Object(
  {
    command: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    args: Type.Array(Type.String({ maxLength: 100_000 }), { maxItems: 1000 }),
    cwd: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    title: Type.String({ maxLength: 1000 }),
    env: Type.Record(Type.String({ pattern: '^[^=\\u0000]+$' }), Type.String({ maxLength: 100_000 })),
    size: Type.Optional(Size),
  },
  { additionalProperties: false },
)
export type PersistentPtyCreateInput = Static<typeof PersistentPtyCreateInput>

export const PersistentPtyUpdateInput = Type.Object(
  { size: Size, attachmentID: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
  { additionalProperties: false },
)

export const Cursor = Type.Object(
  { x: Type.Integer({ minimum: 0 }), y: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
)
export type Cursor = Static<typeof Cursor>

/** The last rows of a terminal, as `persistentPty.read` answers them. */
export const PersistentPtyReadResult = Type.Object(
  {
    ptyID: PtyId,
    title: Type.String(),
    cwd: Type.String(),
    foregroundProcess: Type.Union([Type.String(), Type.Null()]),
    screen: Type.Object(
      { text: Type.String(), cols: Type.Integer(), rows: Type.Integer(), cursor: Cursor },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
)
export type PersistentPtyReadResult = Static<typeof PersistentPtyReadResult>

export const ReadQuery = Type.Object({ lines: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535 })) })

export const PersistentPtySnapshot = Type.Object(
  {
    info: ref(PersistentPtyInfo),
    text: Type.String(),
    /** The screen and its scrollback as escape sequences (base64): written to an empty terminal, it draws the same screen. */
    checkpoint: Type.String({ contentEncoding: 'base64' }),
    cursor: Cursor,
  },
  { additionalProperties: false },
)
export type PersistentPtySnapshot = Static<typeof PersistentPtySnapshot>

/** What `handoff` would give a successor server; this server never hands its terminals over, so it is null. */
export const PersistentPtyHandoff = Type.Object(
  {
    handoff: Type.Union([
      Type.Object(
        { directory: Type.String(), instanceID: Type.String(), ticket: Type.String(), expiresAt: Type.Number() },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
)

/** The WebSocket's query: where to resume, the attachment, and how input frames are framed. */
export const PersistentConnectQuery = Type.Object({
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
  role: Type.Optional(Type.String({ maxLength: 32 })),
  attachment_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  takeover: Type.Optional(Type.String({ maxLength: 16 })),
  input_protocol: Type.Optional(Type.String({ maxLength: 16 })),
  ticket: Type.Optional(Type.String({ maxLength: 200 })),
})

/** A v2 404 for a session this server does not know. */
export const SessionNotFoundBody = Type.Object(
  { _tag: Type.Literal('SessionNotFoundError'), sessionID: Type.String(), message: Type.String() },
  { additionalProperties: false },
)
