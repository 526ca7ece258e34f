// A session's durable v2 events: `history` (pages) and `event` (replay, then live), read from the
// sync plugin's per-session log, which numbers every event of the session (`seq`).
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import {
  InvalidRequestError,
  ServiceUnavailableError,
  ServiceUnavailableErrorBody,
  SseClient,
  durableVersion,
  ref,
  startEventStream,
  v2Errors,
  type PluginApp,
} from '../../../../sdk/index.js'
import type { SyncEventRow, SyncLog } from '../../../sync/types.js'
import { storedSession } from '../../store/locate.js'
import { routeTags as tags, routeConfig as config, SessionParams } from './route-defaults.js'
import type { SessionV2Deps } from './routes.js'
import { SessionNotFoundErrorBody } from './schemas.js'

const NEXT = 'session.next.'
/** Events read from the log at a time while a stream catches up. */
const REPLAY_PAGE = 500
/** Live events held while a stream catches up; a client this far behind is dropped (it reconnects with `after`). */
const MAX_HELD = 10_000
/** Bytes queued for one slow per-session stream before it is dropped. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024
const HEARTBEAT_MS = 15_000

/** A logged `session.next.*` event as v2 shows it: no location, the log's seq under `durable`. */
function durableEvent(row: SyncEventRow) {
  const type = row.type.replace(/\.\d+$/, '')
  return {
    id: row.id,
    type,
    durable: { aggregateID: row.aggregate_id, seq: row.seq, version: durableVersion(type) },
    data: row.data,
  }
}

/** An exclusive seq from the query: absent → -1 (everything); else a whole number ≥ 0. */
function seqOf(raw: string | undefined, field: string): number {
  if (raw === undefined || raw === '') return -1
  if (!/^\d{1,15}$/.test(raw))
    throw new InvalidRequestError(`${field} must be a whole number ≥ 0, got "${raw.slice(0, 50)}"`, {
      kind: 'Query',
      field,
    })
  return Number(raw)
}

/** The sync plugin's per-session log; 503 when that plugin is not loaded. */
function syncLogOf(app: PluginApp): SyncLog {
  if (!app.hasDecorator('syncLog'))
    throw new ServiceUnavailableError('The per-session event log (the sync plugin) is not loaded', 'sync')
  return app.syncLog
}

/** `limit` from the query: 1–100, 50 when absent. */
function pageLimit(raw: string | undefined): number {
  if (raw === undefined) return 50
  const limit = Number(raw)
  if (!/^\d+$/.test(raw) || limit < 1 || limit > 100)
    throw new InvalidRequestError(`limit must be a whole number from 1 to 100, got "${raw.slice(0, 50)}"`, {
      kind: 'Query',
      field: 'limit',
    })
  return limit
}

/** `GET /api/session/:sessionID/history`. */
export function registerHistoryRoute(app: PluginApp, { sessions }: SessionV2Deps): void {
  app.get(
    '/api/session/:sessionID/history',
    {
      config,
      schema: {
        operationId: 'v2.session.history',
        tags,
        summary: 'Get session history',
        description:
          "One page of the session's durable v2 events after `after` (exclusive seq), `limit` 1–100 (50); `hasMore` says whether another page follows.",
        params: SessionParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.String({ maxLength: 20 })),
          after: Type.Optional(Type.String({ maxLength: 20 })),
        }),
        response: {
          200: Type.Object(
            { data: Type.Array(Type.Object({}, { additionalProperties: true })), hasMore: Type.Boolean() },
            { additionalProperties: false },
          ),
          ...v2Errors({ 404: ref(SessionNotFoundErrorBody), 503: ref(ServiceUnavailableErrorBody) }),
        },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const after = seqOf(request.query.after, 'after')
      const limit = pageLimit(request.query.limit)
      storedSession(sessions.store, sessionID)
      const rows = syncLogOf(app).after(sessionID, after, limit + 1, NEXT)
      return { data: rows.slice(0, limit).map(durableEvent), hasMore: rows.length > limit }
    },
  )
}

/** `GET /api/session/:sessionID/event`. */
export function registerEventStreamRoute(app: PluginApp, { sessions }: SessionV2Deps): void {
  app.get(
    '/api/session/:sessionID/event',
    {
      config,
      schema: {
        operationId: 'v2.session.events',
        tags,
        summary: 'Subscribe to session events',
        description:
          "Server-sent events: the session's durable v2 events after `after` (exclusive seq; absent: all of them), then the new ones as they happen, each as `data: <json>` (a `: heartbeat` comment every 15 s).",
        params: SessionParams,
        querystring: Type.Object({ after: Type.Optional(Type.String({ maxLength: 20 })) }),
        response: v2Errors({ 404: ref(SessionNotFoundErrorBody), 503: ref(ServiceUnavailableErrorBody) }),
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      const after = seqOf(request.query.after, 'after')
      storedSession(sessions.store, sessionID)
      await streamEvents(request, reply, syncLogOf(app), sessionID, after)
    },
  )
}

/** Replays the session's logged events after `after`, then sends the live ones, none missed or sent twice. */
async function streamEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  log: SyncLog,
  sessionID: string,
  after: number,
): Promise<void> {
  let cursor = after
  const response = startEventStream(request, reply)
  let held: SyncEventRow[] | undefined = []
  let unfollow = () => {}
  const heartbeat = setInterval(() => client.sendFrame(': heartbeat\n\n'), HEARTBEAT_MS)
  heartbeat.unref()
  const client = new SseClient(response, {
    maxQueuedBytes: MAX_QUEUED_BYTES,
    onClose: () => {
      clearInterval(heartbeat)
      unfollow()
    },
  })
  const send = (row: SyncEventRow) => {
    if (row.seq <= cursor) return
    cursor = row.seq
    client.sendFrame(`data: ${JSON.stringify(durableEvent(row))}\n\n`)
  }
  // Live events wait while the log is replayed, so none is missed or sent twice.
  unfollow = log.follow(sessionID, (row) => {
    if (!row.type.startsWith(NEXT)) return
    if (!held) return send(row)
    held.push(row)
    if (held.length > MAX_HELD) client.end()
  })
  if (response.destroyed) return client.end()
  for (;;) {
    const rows = log.after(sessionID, cursor, REPLAY_PAGE, NEXT)
    for (const row of rows) send(row)
    if (rows.length < REPLAY_PAGE || client.isClosed) break
    if (client.isBehind)
      await new Promise((resolve) => (response.once('drain', resolve), response.once('close', resolve)))
    else await new Promise((resolve) => setImmediate(resolve))
  }
  for (const row of held) send(row)
  held = undefined
}
