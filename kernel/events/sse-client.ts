import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ServerResponse } from 'node:http'

export interface SseClientOptions {
  /** Frames waiting for a slow client beyond this many bytes get the client dropped. */
  maxQueuedBytes: number
  onClose: () => void
}

/**
 * A `message.part.delta` frame waiting for a client that has fallen behind. The next delta of the
 * same part and field is appended to it instead of queued as a frame of its own.
 */
interface DeltaEntry {
  seq: number
  key: string
  /** Builds the frame for the text accumulated so far. */
  frame: (seq: number, delta: string) => string
  delta: string
}

type Entry = string | DeltaEntry

/** One flush per event-loop turn for every client that has frames waiting. */
const dirty = new Set<SseClient>()
let flushScheduled = false

function flushDirty(): void {
  flushScheduled = false
  for (const client of dirty) client.flushPending()
  dirty.clear()
}

/**
 * Writes every SSE frame still waiting for this turn's flush, now. Called before an answer is
 * written, so the frames of the events it reports reach their sockets first: a client that
 * reads the answer, then its stream, finds the events there (OpenCode's `run --attach` does).
 */
export function flushEventStreams(): boolean {
  if (dirty.size === 0) return false
  flushDirty()
  return true
}

function render(entry: Entry): string {
  return typeof entry === 'string' ? entry : entry.frame(entry.seq, entry.delta)
}

/**
 * Takes over the reply for a server-sent event stream: the headers (with those hooks set, CORS
 * say) go out at once, before any event, and small frames are not held back by Nagle.
 */
export function startEventStream(request: FastifyRequest, reply: FastifyReply): ServerResponse {
  reply.hijack()
  const response = reply.raw
  response.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-content-type-options': 'nosniff',
  })
  response.flushHeaders()
  request.raw.socket.setNoDelay(true)
  return response
}

/** `id: <seq>\ndata: <json>\n\n`, the one SSE frame format. */
export function sseFrame(id: number, data: string): string {
  return `id: ${id}\ndata: ${data}\n\n`
}

/**
 * One SSE subscriber. Writes never block the publisher: frames wait in a bounded queue and are
 * written once per event-loop turn as one chunk (one write for many events); when the socket
 * pushes back they wait for `drain`, and a client whose queue overflows is disconnected.
 */
export class SseClient {
  private readonly queue: Entry[] = []
  private queuedBytes = 0
  private closed = false
  /** The socket pushed back; frames wait for `drain`, and deltas coalesce. */
  private blocked = false

  constructor(
    private readonly response: ServerResponse,
    private readonly options: SseClientOptions,
  ) {
    response.on('drain', () => {
      this.blocked = false
      this.flushPending()
    })
    response.on('close', () => this.close())
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** The socket pushed back and frames are waiting for it to drain. */
  get isBehind(): boolean {
    return this.blocked
  }

  /** Queues one frame (already rendered); `false` when the client is gone or has just been dropped. */
  send(id: number, data: string): boolean {
    return this.enqueue(sseFrame(id, data))
  }

  /** Queues a frame rendered once for every subscriber (see `sseFrame`). */
  sendFrame(frame: string): boolean {
    return this.enqueue(frame)
  }

  /**
   * Queues a text delta. While the client is behind, a delta that follows one of the same `key`
   * (part and field) still waiting in the queue is appended to it: the text arrives whole and in
   * order, in fewer frames, under the later id.
   */
  sendDelta(
    seq: number,
    key: string,
    delta: string,
    frame: (seq: number, delta: string) => string,
    rendered: string,
  ): boolean {
    if (this.closed) return false
    const last = this.queue.at(-1)
    if (this.blocked && last !== undefined && typeof last !== 'string' && last.key === key) {
      last.seq = seq
      last.delta += delta
      this.queuedBytes += delta.length
      return this.checkBound()
    }
    if (!this.blocked) return this.enqueue(rendered)
    const entry: DeltaEntry = { seq, key, frame, delta }
    return this.enqueue(entry, rendered.length)
  }

  /** Ends the stream after what is already queued. */
  end(): void {
    if (this.closed) return
    // The queue is bounded, so handing all of it to the socket before ending is safe.
    const rest = this.take()
    this.close()
    if (rest) this.response.end(rest)
    else this.response.end()
  }

  /** Writes everything queued as one chunk, unless the socket is pushing back. */
  flushPending(): void {
    if (this.closed || this.blocked || this.queue.length === 0) return
    const chunk = this.take()
    if (!this.response.write(chunk)) this.blocked = true
  }

  private enqueue(entry: Entry, bytes = (entry as string).length): boolean {
    if (this.closed) return false
    this.queue.push(entry)
    this.queuedBytes += bytes
    if (!this.checkBound()) return false
    if (!this.blocked) {
      dirty.add(this)
      if (!flushScheduled) {
        flushScheduled = true
        setImmediate(flushDirty)
      }
    }
    return true
  }

  private checkBound(): boolean {
    if (this.queuedBytes <= this.options.maxQueuedBytes) return true
    this.close()
    this.response.destroy()
    return false
  }

  private take(): string {
    let chunk = ''
    for (const entry of this.queue) chunk += render(entry)
    this.queue.length = 0
    this.queuedBytes = 0
    return chunk
  }

  private close(): void {
    if (this.closed) return
    this.closed = true
    this.queue.length = 0
    this.queuedBytes = 0
    dirty.delete(this)
    this.options.onClose()
  }
}
