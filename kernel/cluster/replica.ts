import type { PoolClient } from 'pg'
import type { BusEvent } from '../events/bus.js'
import type { SqliteDatabase, Storage } from '../storage/sqlite-storage.js'
import type { Cluster } from './cluster.js'
import { eventOfRow } from './event-feed.js'
import { DatabaseUnavailableError, isConnectionError } from './pg-database.js'
import {
  CHANNEL,
  FLUSH_ROWS,
  insertChange,
  insertEvents,
  LOCK_START,
  LOCK_WRITE,
  pruneLogs,
  pushSchema,
  readPage,
  ReplicaTooOldError,
  checkClusterSchema,
  DatabaseRestoredError,
  NODE_WRITER,
  watchMirrors,
  FencedError,
  checkFences,
  SCHEMA,
  TAIL_CHANGES,
  writeChanges,
  type ChangeRow,
  type PendingEvent,
} from './replica-sql.js'
import {
  applyRow,
  createCaptureTriggers,
  describeTable,
  latestChanges,
  localTables,
  quote,
  schemaChanges,
  type Change,
  type Table,
} from './replica-tables.js'

/** Events per flush transaction. */
const FLUSH_EVENTS = 5000
/** Events older than this are dropped whatever their number (`Cluster.eventRetention` bounds the number). */
export const EVENT_RETENTION_MS = 15 * 60_000
/**
 * The size of the published events a node holds while the database is away (their serialised
 * payloads, in UTF-16 code units: about bytes); beyond it the oldest are dropped. Stored changes
 * are never dropped: they wait in the local file.
 */
const MAX_PENDING_EVENT_BYTES = 64 * 1024 * 1024
const POLL_MS = 2000
const PRUNE_MS = 30_000

/**
 * The node's local SQLite file as a replica of the stores in PostgreSQL. Plugins read and write
 * the local file synchronously, as on a single server; the replica:
 * - loads every table from PostgreSQL at start (the schema as SQLite DDL, then the rows);
 * - captures each local write with temporary triggers into a local queue (rolled back with its
 *   transaction) and commits the queue to PostgreSQL in order: the mirror tables, one row of the
 *   change log for the other nodes, the events published meanwhile, and a NOTIFY;
 * - applies the changes other nodes commit, and hands their events (and its own, now with their
 *   cluster-wide ids) to the cluster bus.
 * An instance runs on one node at a time (leases), so two nodes never write the same rows.
 */
export class Replica {
  private readonly db: SqliteDatabase
  private readonly tables = new Map<string, Table>()
  /** Tables whose writes the triggers capture: name → the DDL the triggers were made for. */
  private readonly captured = new Map<string, string>()
  /** Tables (and indexes) as PostgreSQL has them: name → SQLite DDL. */
  private readonly mirrored = new Map<string, string>()
  private capturing = true
  private queued = 0
  private committed = 0
  /** The id of the last event this node committed: the feed delivers it here once it reads it. */
  lastCommittedEvent = 0
  private events: PendingEvent[] = []
  /** The serialised size of `events`. */
  private pendingBytes = 0
  private flushing?: Promise<void>
  private flushError?: unknown
  private waiters: { target: number; resolve: () => void; reject: (error: unknown) => void }[] = []
  private lastChange = 0
  private lastEvent = 0
  private tailing?: Promise<void>
  private tailAgain = false
  private timers: NodeJS.Timeout[] = []
  private startLock?: PoolClient
  private stopped = false
  private retry?: NodeJS.Timeout
  /** The last refusal logged, so a change retried every second is logged once. */
  private refused?: string

  constructor(
    private readonly cluster: Cluster,
    private readonly storage: Storage,
  ) {
    this.db = storage.db
    this.db.function('kernel_capture', { deterministic: false, varargs: false }, () => {
      if (!this.capturing) return 0
      this.queued++
      this.schedule()
      return 1
    })
    this.db.exec(
      'CREATE TEMP TABLE kernel_capture_queue (seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, op TEXT NOT NULL, row TEXT NOT NULL, old TEXT)',
    )
    storage.onMigrated(() => this.watchTables())
  }

  /** The last event id this node has delivered: the id of frames that are not events. */
  get lastEventId(): number {
    return this.lastEvent
  }

  /** Creates the cluster's tables, then loads the schema and every row into the local file. */
  async load(): Promise<void> {
    const db = this.cluster.db
    // Concurrent CREATE … IF NOT EXISTS can still collide; one node at a time.
    await db.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_WRITE])
      await client.query(SCHEMA)
      await checkClusterSchema(client)
      await watchMirrors(client)
    })
    // Held until this node's migrations are committed (`start`): a second node starting at the
    // same time loads the schema they produce, not the one before.
    this.startLock = await db.pool.connect()
    await this.startLock.query('SELECT pg_advisory_lock($1)', [LOCK_START])
    await db.transaction(async (client) => {
      const schema = (
        await client.query<{ name: string; type: string; sql: string }>(
          'SELECT name, type, sql FROM kernel_sqlite_schema ORDER BY ord',
        )
      ).rows
      this.lastChange = (
        await client.query<{ id: number }>('SELECT coalesce(max(id), 0) AS id FROM kernel_change')
      ).rows[0]!.id
      this.lastEvent = (
        await client.query<{ id: number }>('SELECT coalesce(max(id), 0) AS id FROM kernel_event')
      ).rows[0]!.id
      const existing = new Set(
        this.db
          .prepare<[], { name: string }>('SELECT name FROM sqlite_master WHERE sql IS NOT NULL')
          .all()
          .map((row) => row.name),
      )
      for (const entry of schema) {
        this.mirrored.set(entry.name, entry.sql)
        if (!existing.has(entry.name)) this.db.exec(entry.sql)
      }
      this.db.pragma('foreign_keys = OFF')
      try {
        for (const entry of schema) {
          if (entry.type !== 'table') continue
          const table = this.describe(entry.name)
          const rows = (
            await client.query<{ row: Record<string, unknown> }>(
              `SELECT to_jsonb(t) AS row FROM ${quote(entry.name)} t`,
            )
          ).rows
          this.db.transaction(() => {
            for (const { row } of rows) applyRow(table, 'u', row)
          })()
        }
      } finally {
        this.db.pragma('foreign_keys = ON')
      }
    }, 'REPEATABLE READ READ ONLY')
    this.watchTables()
    this.cluster.feed.started(this.lastEvent)
  }

  /** Commits what the migrations did, lets other nodes start, and follows the other nodes. */
  async start(): Promise<void> {
    await this.flush()
    await this.startLock?.query('SELECT pg_advisory_unlock($1)', [LOCK_START]).catch(() => {})
    this.startLock?.release()
    this.startLock = undefined
    const db = this.cluster.db
    db.onRecovered(() => {
      this.schedule()
      this.follow()
    })
    await db.listen(CHANNEL, () => this.follow())
    // NOTIFY is the fast path; polling covers a notification lost while reconnecting.
    this.timers.push(
      setInterval(() => this.follow(), POLL_MS),
      setInterval(() => void this.prune(), PRUNE_MS),
    )
    for (const timer of this.timers) timer.unref()
    await this.catchUp()
  }

  stop(): void {
    this.stopped = true
    for (const timer of this.timers) clearInterval(timer)
    clearTimeout(this.retry)
    this.startLock?.release()
    this.startLock = undefined
    for (const waiter of this.waiters.splice(0))
      waiter.reject(new DatabaseUnavailableError('the server is shutting down'))
  }

  /** Queues a published event for the cluster bus (its payload is serialised now, as it is now). */
  publish(event: BusEvent): void {
    const payload = JSON.stringify(event.payload)
    this.pendingBytes += payload.length
    let dropped = 0
    while (this.pendingBytes > MAX_PENDING_EVENT_BYTES && this.events.length) {
      this.pendingBytes -= this.events.shift()!.payload.length
      dropped++
    }
    if (dropped)
      this.cluster.log.warn(
        { dropped },
        'cluster: events waiting for the database exceed 64 MB; the oldest are dropped',
      )
    this.events.push({ event, payload })
    this.queued++
    this.schedule()
  }

  /** Resolves once every change and event this node has made so far is committed in PostgreSQL. */
  flush(): Promise<void> {
    if (this.committed >= this.queued) return Promise.resolve()
    if (this.stopped) return Promise.reject(new DatabaseUnavailableError('this node stopped writing'))
    if (!this.cluster.db.healthy) return Promise.reject(new DatabaseUnavailableError('the database is unreachable'))
    const target = this.queued
    return new Promise((resolve, reject) => {
      this.waiters.push({ target, resolve, reject })
      this.schedule()
    })
  }

  /** Resolves once every change the other nodes committed so far is applied here. */
  catchUp(): Promise<void> {
    return this.follow(true)
  }

  /**
   * Resolves once every change committed before the call is applied here: one cheap query of the
   * change log's newest id (shared by the reads that arrive while it is sent), and a catch-up
   * only when that id is past what this node has read.
   */
  async fresh(): Promise<void> {
    if ((await this.head()) > this.lastChange) await this.catchUp()
  }

  private headQuery?: Promise<number>
  private nextHead?: Promise<number>

  /** The change log's newest id, from a query sent after this call. */
  private head(): Promise<number> {
    if (!this.headQuery) return (this.headQuery = this.queryHead())
    this.nextHead ??= this.headQuery
      .catch(() => 0)
      .then(() => {
        this.nextHead = undefined
        return (this.headQuery ??= this.queryHead())
      })
    return this.nextHead
  }

  private queryHead(): Promise<number> {
    return this.cluster.db
      .query<{ head: number }>(
        'SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS head FROM kernel_change_id_seq',
      )
      .then((rows) => rows[0]?.head ?? 0)
      .finally(() => (this.headQuery = undefined))
  }

  private schedule(): void {
    if (this.flushing || this.stopped) return
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain())
  }

  /** Flushes until the queue is empty or the database fails; one flush at a time. */
  private async drain(): Promise<void> {
    try {
      while (this.committed < this.queued && !this.stopped) {
        if (!this.cluster.db.healthy) throw new DatabaseUnavailableError('the database is unreachable')
        await this.flushOnce()
      }
      this.flushError = undefined
      this.refused = undefined
    } catch (error) {
      if (error instanceof FencedError) return this.fenced(error)
      this.flushError = error
      const message = (error as Error).message
      if (!isConnectionError(error) && message !== this.refused)
        this.cluster.log.error({ err: error }, 'cluster: the database refused a change; retrying every second')
      this.refused = message
      for (const waiter of this.waiters.splice(0)) waiter.reject(error)
      // Connection errors resume when the database answers again (onRecovered); others retry.
      if (!isConnectionError(error) && !this.stopped) {
        clearTimeout(this.retry)
        this.retry = setTimeout(() => this.schedule(), 1000)
        this.retry.unref()
      }
    } finally {
      this.flushing = undefined
    }
    if (this.committed < this.queued && this.cluster.db.healthy && !this.flushError) this.schedule()
  }

  private async flushOnce(): Promise<void> {
    const target = this.queued
    const rows = this.db
      .prepare<[number], { seq: number; tbl: string; op: 'u' | 'd'; row: string; old: string | null }>(
        'SELECT seq, tbl, op, row, old FROM temp.kernel_capture_queue ORDER BY seq LIMIT ?',
      )
      .all(FLUSH_ROWS)
    const events = this.events.slice(0, FLUSH_EVENTS)
    const complete = rows.length < FLUSH_ROWS && events.length === this.events.length
    const changes = latestChanges(rows, this.tables)
    const schema = schemaChanges(this.db, this.mirrored)
    const node = this.cluster.nodeId
    let lastEvent = 0
    const fences = this.cluster.leases.fences()
    await this.cluster.db.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_WRITE])
      await client.query(NODE_WRITER)
      if (changes.length) await checkFences(client, node, fences)
      const pushed = await pushSchema(client, this.db, schema, this.tables, (name) => this.describe(name))
      await writeChanges(
        client,
        this.tables,
        changes.filter(([tbl]) => !pushed.has(tbl)),
      )
      lastEvent = await insertEvents(client, node, events)
      if (changes.length || schema.tables.size) await insertChange(client, node, changes, schema.tables)
      await client.query('SELECT pg_notify($1, $2)', [CHANNEL, node])
    })
    for (const [name, sql] of schema.entries) {
      if (sql === undefined) this.mirrored.delete(name)
      else this.mirrored.set(name, sql)
    }
    if (rows.length) this.db.prepare('DELETE FROM temp.kernel_capture_queue WHERE seq <= ?').run(rows.at(-1)!.seq)
    this.events.splice(0, events.length)
    for (const event of events) this.pendingBytes -= event.payload.length
    if (lastEvent) this.lastCommittedEvent = lastEvent
    this.cluster.leases.committed(fences)
    if (complete) {
      this.committed = target
      const done = this.waiters.filter((waiter) => waiter.target <= target)
      this.waiters = this.waiters.filter((waiter) => waiter.target > target)
      for (const waiter of done) waiter.resolve()
    }
  }

  /**
   * This node lost a lease its pending writes were made under: the new owner may have written
   * since, so none of them may commit. They are dropped, requests answer 503, and the node shuts
   * down to start again on a fresh replica.
   */
  private fenced(error: FencedError): void {
    this.db.exec('DELETE FROM temp.kernel_capture_queue')
    this.events = []
    this.pendingBytes = 0
    this.committed = this.queued
    for (const waiter of this.waiters.splice(0)) waiter.reject(new DatabaseUnavailableError(error.message))
    this.cluster.fatal(error, 'cluster: writes made under a lost instance lease were dropped; restarting')
  }

  /** Creates the capture triggers of tables that have none yet (new tables, changed columns). */
  private watchTables(): void {
    for (const { name, sql } of localTables(this.db)) {
      if (this.captured.get(name) === sql) continue
      this.captured.set(name, sql)
      createCaptureTriggers(this.db, this.describe(name))
    }
    // A migration may have created tables or indexes: commit them at the next flush.
    this.queued++
    this.schedule()
  }

  /** Reads a local table's columns and key, and prepares how remote rows are applied to it. */
  private describe(name: string): Table {
    const table = describeTable(this.db, name)
    this.tables.set(name, table)
    return table
  }

  /** Reads what the other nodes committed (one at a time; a call during a read runs it again). */
  private follow(wait = false): Promise<void> {
    if (this.stopped || !this.cluster.db.healthy)
      return wait ? Promise.reject(new DatabaseUnavailableError('the database is unreachable')) : Promise.resolve()
    if (this.tailing) {
      this.tailAgain = true
      return wait ? this.tailing.then(() => this.follow(true)) : this.tailing
    }
    const run = async () => {
      do {
        this.tailAgain = false
        while (await this.tailPage());
      } while (this.tailAgain && !this.stopped)
    }
    this.tailing = run().finally(() => (this.tailing = undefined))
    if (wait) return this.tailing
    this.tailing.catch((error: unknown) => {
      if (error instanceof DatabaseRestoredError)
        this.cluster.fatal(
          error,
          `cluster: ${error.message}; shutting down so it restarts on the database as it is now`,
        )
      else if (error instanceof ReplicaTooOldError) {
        // The replica cannot be brought up to date in place: restart (a fresh replica loads).
        this.cluster.fatal(
          error,
          'cluster: this node missed changes that are no longer kept; shutting down so it restarts with a fresh replica',
        )
      } else if (!isConnectionError(error))
        this.cluster.log.error({ err: error }, "cluster: reading the other nodes' changes failed")
    })
    return Promise.resolve()
  }

  /** One page of changes and events, read in one snapshot; true when there may be more. */
  private async tailPage(): Promise<boolean> {
    const { changes, events, more } = await readPage(this.cluster.db, this.lastChange, this.lastEvent)
    if (this.stopped) return false
    // An event is delivered only once the changes committed with it are applied here.
    const upto = changes.length === TAIL_CHANGES ? changes.at(-1)!.events_upto : Infinity
    this.applyChanges(changes.filter((change) => change.node !== this.cluster.nodeId))
    if (changes.length) this.lastChange = changes.at(-1)!.id
    for (const row of events) {
      if (row.id > upto) break
      this.lastEvent = row.id
      this.cluster.feed.deliver(eventOfRow(row))
    }
    return more
  }

  private applyChanges(batches: ChangeRow[]): void {
    if (batches.length === 0) return
    const touched = new Set<string>()
    this.capturing = false
    this.db.pragma('foreign_keys = OFF')
    try {
      this.db.transaction(() => {
        for (const batch of batches) {
          const { changes, tables } = JSON.parse(batch.changes) as { changes: Change[]; tables: string[] }
          if (tables.length)
            this.cluster.log.warn(
              { tables },
              'cluster: another node changed the schema of these tables; restart this node to load it',
            )
          for (const [name, op, row, columns] of changes) {
            const table = this.tables.get(name)
            if (!table) continue
            applyRow(table, op, row, columns)
            touched.add(name)
          }
        }
      })()
    } finally {
      this.db.pragma('foreign_keys = ON')
      this.capturing = true
    }
    if (touched.size) this.storage.changedExternally(touched)
  }

  /** Drops events past retention and change-log rows every node has read long ago. */
  private async prune(): Promise<void> {
    if (!this.cluster.db.healthy) return
    try {
      await pruneLogs(this.cluster.db, this.cluster.eventRetention, EVENT_RETENTION_MS)
    } catch (error) {
      if (!isConnectionError(error)) this.cluster.log.warn({ err: error }, 'cluster: pruning old events failed')
    }
  }
}
