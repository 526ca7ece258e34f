// The sync plugin's public contract: the per-session event log and the projectors that replay
// it. Other plugins import this file only.
import { defineExtensionPoint, type Instance } from '../../sdk/index.js'

/** One entry of a session's durable log, as `POST /sync/history` answers it. */
export interface SyncEventRow {
  id: string
  aggregate_id: string
  seq: number
  /** The event type with its version, e.g. `session.created.1`. */
  type: string
  data: Record<string, unknown>
}

/**
 * Writes the effect of one logged event into a plugin's own storage when a history is replayed
 * (`POST /sync/replay`). `apply` runs inside the replay's transaction: throwing rejects the whole
 * history (400, the message is the reason). It may rewrite `data` to fit this server (the
 * session's directory); the log keeps what it applied.
 */
export interface SyncProjector {
  /** Event types (without version) this projector replays; each is logged as it is published. */
  readonly types: readonly string[]
  apply(type: string, data: Record<string, unknown>, context: { aggregateID: string; instance: Instance }): void
}

/** `kernel.extensions.provide(SyncProjectors, 'my-plugin', projector)` makes its events durable and replayable. */
export const SyncProjectors = defineExtensionPoint<SyncProjector>('sync.projector')

/** What the sync plugin offers others as `app.syncLog` (a v2 per-session event stream reads it). */
export interface SyncLog {
  /** The session's logged events with `seq > after`, oldest first, at most `limit`; only types starting with `prefix` when given. */
  after(aggregateID: string, after: number, limit: number, prefix?: string): SyncEventRow[]
  /** The session's newest seq, -1 when nothing is logged. */
  latest(aggregateID: string): number
  /**
   * Calls `listener` with each event appended to the session's log from now on (live, replayed
   * ones included), right after it is stored. Read `after()` first, then follow: no gap, since
   * both run on the one thread. Returns the unsubscribe function.
   */
  follow(aggregateID: string, listener: (row: SyncEventRow) => void): () => void
}

declare module 'fastify' {
  interface FastifyInstance {
    syncLog: SyncLog
  }
}
