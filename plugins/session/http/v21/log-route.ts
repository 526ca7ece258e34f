// OpenCode 2.1's `GET /api/experimental/session/:id/log`: where the session's durable log stands
// (`log.synced` with its head seq); with `follow=true` (which 2.1.2 ignores) the session's durable
// events after that head follow as they are logged, in 2.1's shapes, bounded like our other streams.
import { Type } from 'typebox'
import {
  InvalidRequestError,
  ServiceUnavailableError,
  ServiceUnavailableErrorBody,
  SseClient,
  StringEnum,
  eventViewOf,
  ref,
  startEventStream,
  v2Errors,
  type BusEvent,
  type PluginApp,
} from '../../../../sdk/index.js'
import type { SyncEventRow } from '../../../sync/types.js'
import { storedSession } from '../../store/locate.js'
import { routeTags as tags, routeConfig as config, SessionParams } from '../v2/route-defaults.js'
import type { SessionV2Deps } from '../v2/routes.js'
import { SessionNotFoundErrorBody } from '../v2/schemas.js'

/** Bytes queued for one slow follower before it is dropped (it reconnects and reads the head again). */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024
const HEARTBEAT_MS = 15_000

/** A logged event as 2.1's `/api/event` shows it; undefined when 2.1 does not show it. */
function envelope(row: SyncEventRow): Record<string, unknown> | undefined {
  const type = row.type.replace(/\.\d+$/, '')
  const durable = { aggregateID: row.aggregate_id, seq: row.seq }
  const event: BusEvent = {
    seq: row.seq,
    directory: 'global',
    payload: { id: row.id, type, properties: row.data },
    durable: { ...durable, version: 1 },
  }
  const render = eventViewOf(type)
  const view = render?.(row.data, event)
  if (render && !view) return undefined
  const { timestamp, ...data } = row.data
  return {
    id: row.id,
    created: typeof timestamp === 'number' ? timestamp : Date.now(),
    type: view?.type ?? type,
    data: view?.data ?? data,
    durable: { ...durable, version: view?.version ?? 1 },
  }
}

export function registerSessionLogRoute(app: PluginApp, { sessions }: SessionV2Deps): void {
  app.get(
    '/api/experimental/session/:sessionID/log',
    {
      config,
      schema: {
        operationId: 'session.log',
        tags,
        summary: "Follow a session's durable log",
        description:
          "Server-sent events: one `{type:\"log.synced\", aggregateID, seq}` frame with the log's head seq (-1: empty); with `follow=true`, then the session's durable events after it as they are logged (2.1's envelopes, a `: heartbeat` comment every 15 s); without it the stream ends. `after` is checked and, as in 2.1.2, changes nothing. 503 without the sync plugin.",
        params: SessionParams,
        querystring: Type.Object({
          after: Type.Optional(Type.String({ maxLength: 20 })),
          follow: Type.Optional(StringEnum(['true', 'false'])),
        }),
        response: v2Errors({ 404: ref(SessionNotFoundErrorBody), 503: ref(ServiceUnavailableErrorBody) }),
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      const { after, follow } = request.query
      if (after !== undefined && !/^\d{1,15}$/.test(after))
        throw new InvalidRequestError(`after must be a whole number ≥ 0, got "${after}"`, {
          kind: 'Query',
          field: 'after',
        })
      storedSession(sessions.store, sessionID)
      if (!app.hasDecorator('syncLog'))
        throw new ServiceUnavailableError('The per-session event log (the sync plugin) is not loaded', 'sync')
      const log = app.syncLog
      const response = startEventStream(request, reply)
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
      const head = log.latest(sessionID)
      client.sendFrame(`data: ${JSON.stringify({ type: 'log.synced', aggregateID: sessionID, seq: head })}\n\n`)
      if (follow !== 'true') return client.end()
      // Read the head, then follow, on one thread: nothing logged in between is missed.
      unfollow = log.follow(sessionID, (row) => {
        const event = row.seq > head ? envelope(row) : undefined
        if (event) client.sendFrame(`data: ${JSON.stringify(event)}\n\n`)
      })
    },
  )
}
