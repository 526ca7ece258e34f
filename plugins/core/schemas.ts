import { Type, type Static } from 'typebox'
import { named, StringEnum } from '../../kernel/schemas.js'

export const Health = named(
  'Health',
  Type.Object({
    healthy: Type.Literal(true),
    version: Type.String(),
  }),
)

export const Path = named(
  'Path',
  Type.Object({
    home: Type.String(),
    state: Type.String(),
    config: Type.String(),
    worktree: Type.String(),
    directory: Type.String(),
  }),
)

export const LogEntry = Type.Object(
  {
    service: Type.String({ minLength: 1, maxLength: 200 }),
    level: StringEnum(['debug', 'info', 'warn', 'error']),
    message: Type.String({ maxLength: 100_000 }),
    extra: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
)
export type LogEntry = Static<typeof LogEntry>
