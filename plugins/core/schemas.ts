import { Type, type Static } from 'typebox'
import { StringEnum, named } from '../../sdk/index.js'

/** OpenCode 1.18's health answer, exactly (its schema allows nothing more). */
export const Health = named(
  'Health',
  Type.Object({
    healthy: Type.Literal(true),
    version: Type.String(),
  }),
)

/** This server in its cluster (an opencode-kernel extension, kept out of OpenCode's health answer). */
export const NodeInfo = named(
  'NodeInfo',
  Type.Object({
    id: Type.String({ description: 'The node id in a cluster; on SQLite an id of this process' }),
    url: Type.Optional(Type.String({ description: 'How clients and the other nodes reach this server' })),
    backend: StringEnum(['postgres', 'sqlite'] as const),
    instances: Type.Array(Type.String(), { description: 'Directories whose instance runs on this node' }),
    database: Type.Optional(
      StringEnum(['reachable', 'unreachable'] as const, {
        description: 'PostgreSQL only: whether the database answers (other requests answer 503 while it does not)',
      }),
    ),
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

/** OpenCode 2.1's `server.info` answer. */
export const ServerInfo = named(
  'ServerInfo',
  Type.Object(
    {
      version: Type.String({ description: 'The OpenCode release whose API this server serves' }),
      pid: Type.Integer({ minimum: 0 }),
      urls: Type.Array(Type.String()),
      paths: Type.Object({ tmp: Type.String() }, { additionalProperties: false }),
      capabilities: Type.Optional(
        Type.Object({ persistentPty: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      ),
    },
    { additionalProperties: false },
  ),
)

/** OpenCode 2.1's `location.get` answer (plus 1.18's `workspaceID` when a workspace was named). */
export const LocationPublicInfo = named(
  'Location.PublicInfo',
  Type.Object(
    {
      directory: Type.String(),
      workspaceID: Type.Optional(Type.String({ pattern: '^wrk' })),
      project: Type.Object(
        { id: Type.String(), directory: Type.String(), canonical: Type.String() },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
)

export const MigrationStatus = Type.Object(
  { status: StringEnum(['required', 'completed'] as const) },
  { additionalProperties: false },
)
