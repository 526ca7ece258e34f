import type { FastifyReply, FastifyRequest } from 'fastify'
import { apiEventData, type BusEvent, type EventBus, type EventDefinition, type EventPayload } from './bus.js'
import { ServerConnected, ServerHeartbeat, ServerInstanceDisposed, ServerResyncRequired } from './kernel-events.js'
import { ascendingId } from '../core/ids.js'
import { SseClient, sseFrame, startEventStream } from './sse-client.js'
import { isLiveOnlyEvent } from '../http/v2-conventions.js'
import { eventViewOf, isEventViewOnly } from './event-views.js'

/**
 * Where the SSE streams get their events: the in-process bus, or (several servers) the cluster
 * bus, whose replay reads the database and so may answer later.
 */
export type EventFeed = Pick<EventBus, 'subscribe' | 'nextSeq'> & {
  since(seq: number, directory?: string): BusEvent[] | undefined | Promise<BusEvent[] | undefined>
}

export interface EventStreamOptions {
  heartbeatMs: number
  maxQueuedBytes: number
}

interface Stream {
  client: SseClient
  /** The instance directory of `/event`; undefined for `/global/event` and `/api/event`. */
  directory?: string
  /** `/api/event`: OpenCode's v2 envelopes, comment heartbeats. */
  v2?: boolean
  /** Stops the live events; set once the stream subscribes. */
  unsubscribe: () => void
}

/** How a stream's events reach its client: live ones, and a replay of those it missed. */
interface Delivery {
  send(event: BusEvent, rendered?: string): void
  /** Sends the missed events (or a resync when they are gone or too many); returns the last seq covered. */
  replay(missed: BusEvent[] | undefined): number
}

/**
 * The v2 envelope: `{id, created, metadata?, type, location?, data, durable?}`; events of no
 * instance have no location. A registered view (`defineEventView`) renames and reshapes the
 * event as OpenCode 2.1 shows it, or hides it (an empty frame: nothing is sent).
 */
function v2Frame(event: BusEvent): string {
  const { id, type, properties } = event.payload
  const render = eventViewOf(type)
  const view = render?.(properties, event)
  if (render && !view) return ''
  const timestamp = properties.timestamp
  const envelope: Record<string, unknown> = {
    id: view?.id ?? id,
    created: typeof timestamp === 'number' ? timestamp : Date.now(),
  }
  if (view?.metadata) envelope.metadata = view.metadata
  envelope.type = view?.type ?? type
  if (event.directory !== 'global' && view?.location !== false) envelope.location = { directory: event.directory }
  envelope.data = view?.data ?? apiEventData(type, properties)
  if (event.durable) envelope.durable = view ? { ...event.durable, version: view.version ?? 1 } : event.durable
  return sseFrame(event.seq, JSON.stringify(envelope))
}

function wrap(event: BusEvent, payload: EventPayload): Record<string, unknown> {
  const wrapped: Record<string, unknown> = { directory: event.directory }
  if (event.project) wrapped.project = event.project
  wrapped.payload = payload
  return wrapped
}

/**
 * Each event is serialised and framed once per endpoint, however many clients receive it. The
 * frames are kept only for the event being published (its subscribers are called one after the
 * other within `publish`), not on the event: the replay ring holds 4,096 events, long enough for
 * V8 to move them to the old generation, where frames kept on them would become garbage that
 * waits for a full collection; a replay renders its frames again.
 */
class FrameCache {
  private event?: BusEvent
  private frame?: string

  constructor(private readonly render: (event: BusEvent) => string) {}

  get(event: BusEvent): string {
    if (event !== this.event) {
      this.event = event
      this.frame = this.render(event)
    }
    return this.frame!
  }
}

const DELTA = 'message.part.delta'

/** Live events a stream holds while its replay is read from the database. */
const MAX_WAITING_EVENTS = 10_000

/** The frame of a delta event carrying `delta` (the text of several coalesced deltas) under `seq`. */
function deltaFrame(event: BusEvent, global: boolean): (seq: number, delta: string) => string {
  return (seq, delta) => {
    const payload = { ...event.payload, properties: { ...event.payload.properties, delta } }
    return sseFrame(seq, JSON.stringify(global ? wrap(event, payload) : payload))
  }
}

function deltaKey(properties: Record<string, unknown>): string | undefined {
  const { sessionID, messageID, partID, field, delta } = properties
  if (typeof delta !== 'string') return undefined
  return `${String(sessionID)}\u0000${String(messageID)}\u0000${String(partID)}\u0000${String(field)}`
}

function payload(event: EventDefinition, properties: Record<string, unknown> = {}): EventPayload {
  return { id: ascendingId('evt'), type: event.type, properties }
}

/** The SSE endpoints' subscribers: replay, live events, heartbeats, bounded queues. */
export class EventStreams {
  private readonly streams = new Set<Stream>()
  private readonly instanceFrames = new FrameCache((event) => sseFrame(event.seq, JSON.stringify(event.payload)))
  private readonly globalFrames = new FrameCache((event) =>
    sseFrame(event.seq, JSON.stringify(wrap(event, event.payload))),
  )
  private readonly v2Frames = new FrameCache(v2Frame)
  private heartbeat?: NodeJS.Timeout

  constructor(
    private readonly bus: EventFeed,
    private readonly options: EventStreamOptions,
  ) {}

  get size(): number {
    return this.streams.size
  }

  start(): void {
    this.heartbeat ??= setInterval(() => this.beat(), this.options.heartbeatMs)
    this.heartbeat.unref()
  }

  /**
   * Takes over the response and streams events of `directory` (or of every instance), as v1
   * payloads, or (`v2`) as OpenCode's v2 envelopes for `/api/event`.
   */
  open(request: FastifyRequest, reply: FastifyReply, directory?: string, format: { v2?: boolean } = {}): void {
    const response = startEventStream(request, reply)
    const v2 = format.v2 === true
    const stream: Stream = {
      directory,
      v2,
      unsubscribe: () => {},
      client: new SseClient(response, {
        maxQueuedBytes: this.options.maxQueuedBytes,
        onClose: () => {
          stream.unsubscribe()
          this.streams.delete(stream)
        },
      }),
    }
    this.streams.add(stream)
    // A client that resumes keeps its position: were it to leave right after this frame, it
    // resumes from the same id again, not after the events it has yet to be replayed.
    const lastEventId = request.headers['last-event-id']
    const from = typeof lastEventId === 'string' && lastEventId.trim() !== '' ? Number(lastEventId) : undefined
    this.sendFrame(
      stream,
      payload(ServerConnected),
      from !== undefined && Number.isSafeInteger(from) && from > 0 ? from : undefined,
    )
    if (v2) stream.client.sendFrame(': heartbeat\n\n')
    this.follow(stream, from, this.delivery(stream, lastEventId as string))
    // A client that went away while the request passed the hooks fired 'close' before anyone listened.
    if (response.destroyed || request.raw.socket?.destroyed) stream.client.end()
  }

  /** The frames a stream sends: v1 payloads (global ones wrapped) or v2 envelopes. */
  private delivery(stream: Stream, lastEventId: string): Delivery {
    const { directory, v2 } = stream
    const global = directory === undefined
    const frames = v2 ? this.v2Frames : global ? this.globalFrames : this.instanceFrames
    const skips = (type: string) => (v2 ? type === DELTA : isLiveOnlyEvent(type) || isEventViewOnly(type))
    const send = (event: BusEvent, rendered?: string) => {
      if (skips(event.payload.type)) return
      const frame = rendered ?? frames.get(event)
      if (v2) {
        if (frame !== '') stream.client.sendFrame(frame)
        return
      }
      // Only a client that has fallen behind coalesces deltas; the others get each frame as is.
      const key =
        stream.client.isBehind && event.payload.type === DELTA ? deltaKey(event.payload.properties) : undefined
      if (key === undefined) stream.client.sendFrame(frame)
      else
        stream.client.sendDelta(
          event.seq,
          key,
          event.payload.properties.delta as string,
          deltaFrame(event, global),
          frame,
        )
      if (directory !== undefined && event.payload.type === ServerInstanceDisposed.type) stream.client.end()
    }
    const replay = (missed: BusEvent[] | undefined): number => {
      const events = missed?.filter((event) => !skips(event.payload.type))
      // A replay larger than a client's queue would cut the client off on every reconnect.
      const replayFrames = events?.map((event) => frames.get(event))
      const replayable =
        replayFrames && replayFrames.reduce((bytes, frame) => bytes + frame.length, 0) < this.options.maxQueuedBytes / 2
      if (events && replayFrames && replayable) events.forEach((event, i) => send(event, replayFrames[i]))
      else {
        this.sendFrame(
          stream,
          payload(ServerResyncRequired, {
            lastEventID: lastEventId,
            reason: missed
              ? 'Too many events were missed to replay them; reload the state you need.'
              : 'The events after this id are no longer held; reload the state you need.',
          }),
        )
      }
      return missed?.at(-1)?.seq ?? 0
    }
    return { send, replay }
  }

  /** Replays what the client missed after `from` (when it resumes), then follows the live events. */
  private follow(stream: Stream, from: number | undefined, delivery: Delivery): void {
    const { directory } = stream
    const missed = from === undefined ? [] : Number.isSafeInteger(from) ? this.bus.since(from, directory) : undefined
    if (missed instanceof Promise) {
      this.followAfterReplay(stream, from!, missed, delivery)
      return
    }
    if (from !== undefined) delivery.replay(missed)
    if (!stream.client.isClosed) stream.unsubscribe = this.bus.subscribe((event) => delivery.send(event), directory)
  }

  /**
   * The replay comes from the database: live events wait behind it (bounded) and those the
   * replay already holds are not sent twice.
   */
  private followAfterReplay(
    stream: Stream,
    from: number,
    missed: Promise<BusEvent[] | undefined>,
    { send, replay }: Delivery,
  ): void {
    // Events the replay covers (sent, or left to the resync it sent instead) are not sent live
    // again, also when this node delivers them only after the replay was read.
    let waiting: BusEvent[] | undefined = []
    let covered = Infinity
    stream.unsubscribe = this.bus.subscribe((event) => {
      if (waiting) {
        if (waiting.length < MAX_WAITING_EVENTS) waiting.push(event)
      } else if (event.seq > covered) send(event)
    }, stream.directory)
    missed
      .then(
        (events) => events,
        () => undefined,
      )
      .then((events) => {
        const held = waiting!
        waiting = undefined
        if (stream.client.isClosed) return
        covered = Math.max(replay(events), from)
        if (held.length === MAX_WAITING_EVENTS && events) replay(undefined)
        for (const event of held) if (event.seq > covered) send(event)
      })
  }

  /** Ends every stream (shutdown). */
  endAll(): void {
    clearInterval(this.heartbeat)
    this.heartbeat = undefined
    for (const stream of [...this.streams]) stream.client.end()
  }

  private beat(): void {
    for (const stream of this.streams) {
      if (stream.v2) stream.client.sendFrame(': heartbeat\n\n')
      else this.sendFrame(stream, payload(ServerHeartbeat))
    }
  }

  /** A frame that is not a bus event (connected, heartbeat, resync). */
  private sendFrame(stream: Stream, event: EventPayload, seq = this.bus.nextSeq()): void {
    if (stream.v2) {
      stream.client.send(seq, JSON.stringify({ id: event.id, type: event.type, data: event.properties }))
      return
    }
    const data = stream.directory === undefined ? JSON.stringify({ payload: event }) : JSON.stringify(event)
    stream.client.send(seq, data)
  }
}
