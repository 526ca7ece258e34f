import { Type, type Static, type TSchema } from 'typebox'
import { LocationRef, StringEnum, named, ref } from '../../sdk/index.js'

export const ShellId = Type.String({ pattern: '^sh_', maxLength: 100 })
export const ShellParams = Type.Object({ id: ShellId })

export const SHELL_STATUSES = ['running', 'exited', 'timeout', 'killed'] as const
export type ShellStatus = (typeof SHELL_STATUSES)[number]

/** One shell command, as OpenCode 2.1's `Shell.Info`. */
export const ShellInfo = named(
  'Shell.Info',
  Type.Object(
    {
      id: ShellId,
      status: StringEnum(SHELL_STATUSES),
      command: Type.String(),
      /** As the client gave it (relative to the location), else the location's directory. */
      cwd: Type.String(),
      shell: Type.String(),
      /** Where stdout and stderr are captured, merged. */
      file: Type.String(),
      pid: Type.Optional(Type.Integer({ minimum: 0 })),
      exit: Type.Optional(Type.Number()),
      signal: Type.Optional(Type.String()),
      metadata: Type.Record(Type.String(), Type.Unknown()),
      time: Type.Object(
        { started: Type.Number(), completed: Type.Optional(Type.Number()) },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
)
export type ShellInfo = Static<typeof ShellInfo>

/** A page of a shell's captured output: `cursor` is the byte offset to ask for next. */
export const ShellOutput = Type.Object(
  {
    output: Type.String(),
    cursor: Type.Integer({ minimum: 0 }),
    size: Type.Integer({ minimum: 0 }),
    truncated: Type.Boolean(),
  },
  { additionalProperties: false },
)
export type ShellOutput = Static<typeof ShellOutput>

export const ShellCreateInput = Type.Object({
  command: Type.String(),
  cwd: Type.Optional(Type.String({ maxLength: 4096 })),
  timeout: Type.Optional(Type.Integer({ minimum: 0, description: 'Milliseconds; 0 or absent: none' })),
  metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
})
export type ShellCreateInput = Static<typeof ShellCreateInput>

export const ShellOutputQuery = {
  cursor: Type.Optional(
    Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Byte offset; default 0' }),
  ),
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Bytes; default 65536' }),
  ),
}

export const ShellNotFoundErrorBody = named(
  'ShellNotFoundError',
  Type.Object(
    { _tag: Type.Literal('ShellNotFoundError'), id: Type.String(), message: Type.String() },
    { additionalProperties: false },
  ),
)

/** `PUT /api/session/{sessionID}/environment`. */
export const SessionEnvironmentInput = Type.Object({
  variables: Type.Record(Type.String(), Type.String()),
})

/** The session plugin's tagged 404, documented here without importing its schemas. */
export const SessionNotFoundBody = Type.Object(
  { _tag: Type.Literal('SessionNotFoundError'), sessionID: Type.String(), message: Type.String() },
  { additionalProperties: false },
)

/** OpenCode 2.1's location envelope: `{ location: { directory }, data }` (no project, unlike 1.18's). */
export function LocationEnvelope21<T extends TSchema>(data: T) {
  return Type.Object({ location: ref(LocationRef), data }, { additionalProperties: false })
}

export const SHELL_SCHEMAS = [ShellInfo, ShellNotFoundErrorBody]
