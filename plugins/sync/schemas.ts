import { Type, type Static } from 'typebox'
import { named } from '../../sdk/index.js'

/** The most events one `POST /sync/history` answers; ask again with the seqs received for more. */
export const HISTORY_LIMIT = 1000
/** The most events one `POST /sync/replay` takes. */
export const REPLAY_LIMIT = 100_000

export const SyncHistoryEvent = named(
  'SyncHistoryEvent',
  Type.Object(
    {
      id: Type.String({ pattern: '^evt_' }),
      aggregate_id: Type.String(),
      seq: Type.Integer({ minimum: 0 }),
      type: Type.String({ description: 'The event type and its version, e.g. `session.created.1`' }),
      data: Type.Object({}, { additionalProperties: true }),
    },
    { additionalProperties: false },
  ),
)

export const SyncHistoryInput = Type.Record(Type.String({ maxLength: 200 }), Type.Integer({ minimum: 0 }), {
  maxProperties: 10_000,
  description:
    'The sessions the client knows, each with the last seq it has. The events after it are answered, and every event of the sessions not named.',
})
export type SyncHistoryInput = Static<typeof SyncHistoryInput>

export const SyncReplayEvent = Type.Object(
  {
    id: Type.String({ pattern: '^evt_', maxLength: 100 }),
    aggregateID: Type.String({ pattern: '^ses', maxLength: 100 }),
    seq: Type.Integer({ minimum: 0 }),
    type: Type.String({ maxLength: 200 }),
    data: Type.Object({}, { additionalProperties: true }),
  },
  { additionalProperties: false },
)

export const SyncReplayInput = Type.Object(
  {
    directory: Type.String({
      minLength: 1,
      maxLength: 4096,
      description: 'Where the session lives on this server (absolute)',
    }),
    events: Type.Array(SyncReplayEvent, { minItems: 1, maxItems: REPLAY_LIMIT }),
  },
  { additionalProperties: false },
)
export type SyncReplayInput = Static<typeof SyncReplayInput>

export const SyncSessionInput = Type.Object(
  { sessionID: Type.String({ pattern: '^ses', maxLength: 100 }) },
  { additionalProperties: false },
)

/** OpenCode's tagged 400 for these routes. */
export const InvalidRequestErrorBody = named(
  'InvalidRequestError',
  Type.Object(
    {
      _tag: Type.Literal('InvalidRequestError'),
      message: Type.String(),
      kind: Type.Optional(Type.String()),
      field: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
)
