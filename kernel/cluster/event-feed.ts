import { Subscribers, type BusEvent, type Listener } from '../events/bus.js'
import type { Cluster } from './cluster.js'

/** A row of `kernel_event`. */
export interface EventRow {
  id: number
  directory: string
  project: string | null
  payload: string
  durable: string | null
}

export function eventOfRow(row: EventRow): BusEvent {
  const event: BusEvent = { seq: row.id, directory: row.directory, payload: JSON.parse(row.payload) }
  if (row.project !== null) event.project = row.project
  if (row.durable !== null) event.durable = JSON.parse(row.durable)
  return event
}

/**
 * The cluster bus as the SSE streams see it: every node's events, in the order PostgreSQL gave
 * them ids, delivered by the replica as it reads them; `since` replays from the events table.
 */
export class ClusterFeed {
  private readonly subscribers: Subscribers
  private last = 0
  /** Requests waiting until the feed has delivered an event id (see `reached`). */
  private waiting: { id: number; resolve: () => void }[] = []

  constructor(private readonly cluster: Cluster) {
    this.subscribers = new Subscribers((error, event) =>
      cluster.log.error({ err: error, event: event.payload.type }, 'event listener failed'),
    )
  }

  /** The id the node starts from: events before it are replayed from the table, not delivered. */
  started(lastEventId: number): void {
    this.last = lastEventId
  }

  deliver(event: BusEvent): void {
    this.last = event.seq
    this.subscribers.deliver(event)
    if (this.waiting.length && this.waiting[0]!.id <= event.seq) this.release()
  }

  /**
   * Resolves once the event `id` has been delivered to this node's streams, so an answer does not
   * overtake the events it reports; gives up after `timeoutMs` (a stalled read delays, never hangs).
   */
  reached(id: number, timeoutMs = 2000): Promise<void> {
    if (id <= this.last) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((waiter) => waiter !== entry)
        resolve()
      }, timeoutMs)
      timer.unref()
      const entry = {
        id,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      }
      const at = this.waiting.findIndex((waiter) => waiter.id > id)
      this.waiting.splice(at === -1 ? this.waiting.length : at, 0, entry)
    })
  }

  private release(): void {
    const at = this.waiting.findIndex((waiter) => waiter.id > this.last)
    for (const waiter of this.waiting.splice(0, at === -1 ? this.waiting.length : at)) waiter.resolve()
  }

  subscribe(listener: Listener, directory?: string): () => void {
    return this.subscribers.add(listener, directory)
  }

  /**
   * The events after `seq` (of `directory`), read from the table; `undefined` when some are no
   * longer kept, or `seq` is not an id this cluster gave.
   */
  async since(seq: number, directory?: string): Promise<BusEvent[] | undefined> {
    // What this node published before the client reconnected belongs in its replay.
    await this.cluster.replica.flush().catch(() => {})
    const rows = await this.cluster.db.transaction(async (client) => {
      const bounds = (
        await client.query<{ low: number | null; high: number | null }>(
          'SELECT min(id) AS low, max(id) AS high FROM kernel_event',
        )
      ).rows[0]!
      if (bounds.high === null ? seq !== 0 && seq > this.last : seq > bounds.high) return undefined
      // Older than the retention (pruned or about to be): gone.
      if (bounds.low !== null && seq < Math.max(bounds.low - 1, bounds.high! - this.cluster.eventRetention))
        return undefined
      const params: unknown[] = [seq, this.cluster.eventRetention + 1]
      const where = directory === undefined ? '' : (params.push(directory), ' AND directory = $3')
      return (
        await client.query<EventRow>(
          `SELECT id, directory, project, payload, durable FROM kernel_event WHERE id > $1${where} ORDER BY id LIMIT $2`,
          params,
        )
      ).rows
    }, 'REPEATABLE READ READ ONLY')
    if (!rows || rows.length > this.cluster.eventRetention) return undefined
    return rows.map(eventOfRow)
  }

  /** The id of frames that are not events: the last event delivered, so a reconnect resumes after it. */
  nextSeq(): number {
    return this.last
  }
}
