import type { PoolClient } from 'pg'
import type { BusEvent } from '../events/bus.js'
import type { SqliteDatabase, Storage } from '../storage/sqlite-storage.js'
import type { Cluster } from './cluster.js'
import { eventOfRow, type EventRow } from './event-feed.js'
import { DatabaseUnavailableError, isConnectionError } from './pg-database.js'

/** The NOTIFY channel: its payload is only the writing node's id, never data. */
export const CHANNEL = 'opencode_kernel'
/** Advisory locks: writers take WRITE for the length of a commit, so ids commit in id order. */
const LOCK_WRITE = 0x6f6b0001
/** Held by a starting node from loading the stores until its migrations are committed. */
const LOCK_START = 0x6f6b0002

/** Rows of the local queue flushed per transaction, events per transaction, changes per catch-up page. */
const FLUSH_ROWS = 5000
const FLUSH_EVENTS = 5000
const TAIL_CHANGES = 200
const TAIL_EVENTS = 2000
/** Events older than this are dropped whatever their number (`Cluster.eventRetention` bounds the number). */
export const EVENT_RETENTION_MS = 15 * 60_000
/** Published events a node holds while the database is away; beyond it the oldest are dropped. */
const MAX_PENDING_EVENTS = 200_000
const POLL_MS = 2000
const PRUNE_MS = 30_000

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kernel_sqlite_schema (name TEXT PRIMARY KEY, type TEXT NOT NULL, tbl_name TEXT NOT NULL, sql TEXT NOT NULL, ord INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS kernel_change (id BIGSERIAL PRIMARY KEY, node TEXT NOT NULL, time BIGINT NOT NULL, events_upto BIGINT NOT NULL, changes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kernel_event (id BIGSERIAL PRIMARY KEY, node TEXT NOT NULL, time BIGINT NOT NULL, directory TEXT NOT NULL, project TEXT, payload TEXT NOT NULL, durable TEXT);
CREATE INDEX IF NOT EXISTS kernel_event_time ON kernel_event (time);
CREATE INDEX IF NOT EXISTS kernel_change_time ON kernel_change (time);
CREATE TABLE IF NOT EXISTS kernel_pruned (log TEXT PRIMARY KEY, upto BIGINT NOT NULL);
`

interface Column {
  name: string
  type: string
}

/** A local table as the replica mirrors it: its columns and the key PostgreSQL upserts on. */
interface Table {
  name: string
  sql: string
  columns: Column[]
  /** Primary key columns; `rowid` for a table that declares none. */
  key: string[]
  upsert?: { run(...params: unknown[]): unknown }
  remove?: { run(...params: unknown[]): unknown }
}

/** One captured write: `u` (the row as it now is) or `d` (the key of a deleted row). */
type Change = [table: string, op: 'u' | 'd', row: Record<string, unknown>]

interface PendingEvent {
  event: BusEvent
  payload: string
  time: number
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`
const sqlString = (text: string) => `'${text.replace(/'/g, "''")}'`

/** The PostgreSQL column type mirroring a SQLite column, by SQLite's affinity rules. */
function pgType(declared: string): string {
  const type = declared.toUpperCase()
  if (
    type.includes('INT') ||
    type.includes('REAL') ||
    type.includes('FLOA') ||
    type.includes('DOUB') ||
    type.includes('NUM') ||
    type.includes('DEC')
  )
    return 'NUMERIC'
  return 'TEXT'
}

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
  private events: PendingEvent[] = []
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
      'CREATE TEMP TABLE kernel_capture_queue (seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, op TEXT NOT NULL, row TEXT NOT NULL)',
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
            for (const { row } of rows) this.applyRow(table, 'u', row)
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
    if (this.events.length >= MAX_PENDING_EVENTS) {
      this.events.shift()
      this.cluster.log.warn('cluster: events waiting for the database exceed the limit; the oldest are dropped')
    }
    this.events.push({ event, payload: JSON.stringify(event.payload), time: Date.now() })
    this.queued++
    this.schedule()
  }

  /** Resolves once every change and event this node has made so far is committed in PostgreSQL. */
  flush(): Promise<void> {
    if (this.committed >= this.queued) return Promise.resolve()
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
      .prepare<[number], { seq: number; tbl: string; op: 'u' | 'd'; row: string }>(
        'SELECT seq, tbl, op, row FROM temp.kernel_capture_queue ORDER BY seq LIMIT ?',
      )
      .all(FLUSH_ROWS)
    const events = this.events.slice(0, FLUSH_EVENTS)
    const complete = rows.length < FLUSH_ROWS && events.length === this.events.length
    // The last write of each row is what counts: the mirror has no foreign keys or unique
    // constraints besides the key, so applying only that, in any order, gives the same rows.
    const latest = new Map<string, Change>()
    for (const { tbl, op, row } of rows) {
      const parsed = JSON.parse(row) as Record<string, unknown>
      const table = this.tables.get(tbl)
      const key = `${tbl}\u0000${JSON.stringify(table ? table.key.map((column) => parsed[column]) : parsed)}`
      latest.delete(key)
      latest.set(key, [tbl, op, parsed])
    }
    const changes = [...latest.values()]
    const schema = this.schemaChanges()
    await this.cluster.db.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_WRITE])
      const pushed = await this.pushSchema(client, schema)
      await this.writeChanges(
        client,
        changes.filter(([tbl]) => !pushed.has(tbl)),
      )
      if (events.length) {
        const json = JSON.stringify(
          events.map(({ event, payload, time }) => ({
            time,
            directory: event.directory,
            project: event.project ?? null,
            payload,
            durable: event.durable ? JSON.stringify(event.durable) : null,
          })),
        )
        await client.query(
          `INSERT INTO kernel_event (node, time, directory, project, payload, durable)
           SELECT $2, (x.e->>'time')::BIGINT, x.e->>'directory', x.e->>'project', x.e->>'payload', x.e->>'durable'
           FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(e, n) ORDER BY x.n`,
          [json, this.cluster.nodeId],
        )
      }
      if (changes.length || schema.tables.size) {
        await client.query(
          'INSERT INTO kernel_change (node, time, events_upto, changes) VALUES ($1, $2, (SELECT coalesce(max(id), 0) FROM kernel_event), $3)',
          [this.cluster.nodeId, Date.now(), JSON.stringify({ changes, tables: [...schema.tables] })],
        )
      }
      await client.query('SELECT pg_notify($1, $2)', [CHANNEL, this.cluster.nodeId])
    })
    for (const [name, sql] of schema.entries) {
      if (sql === undefined) this.mirrored.delete(name)
      else this.mirrored.set(name, sql)
    }
    if (rows.length) this.db.prepare('DELETE FROM temp.kernel_capture_queue WHERE seq <= ?').run(rows.at(-1)!.seq)
    this.events.splice(0, events.length)
    if (complete) {
      this.committed = target
      const done = this.waiters.filter((waiter) => waiter.target <= target)
      this.waiters = this.waiters.filter((waiter) => waiter.target > target)
      for (const waiter of done) waiter.resolve()
    }
  }

  /** The upserts and deletes of one flush, one statement per table and kind. */
  private async writeChanges(client: PoolClient, changes: Change[]): Promise<void> {
    const byTable = new Map<string, { u: Record<string, unknown>[]; d: Record<string, unknown>[] }>()
    for (const [tbl, op, row] of changes) {
      let group = byTable.get(tbl)
      if (!group) byTable.set(tbl, (group = { u: [], d: [] }))
      group[op].push(row)
    }
    for (const [name, group] of byTable) {
      const table = this.tables.get(name)
      if (!table) continue
      const target = quote(name)
      if (group.d.length) {
        const match = table.key.map((column) => `t.${quote(column)} = d.${quote(column)}`).join(' AND ')
        await client.query(
          `DELETE FROM ${target} t USING jsonb_populate_recordset(NULL::${target}, $1::jsonb) d WHERE ${match}`,
          [JSON.stringify(group.d)],
        )
      }
      if (group.u.length) await this.upsertRows(client, table, group.u)
    }
  }

  private async upsertRows(client: PoolClient, table: Table, rows: Record<string, unknown>[]): Promise<void> {
    const target = quote(table.name)
    const columns = this.mirrorColumns(table)
    const others = columns.filter((column) => !table.key.includes(column))
    const update = others.length
      ? `DO UPDATE SET ${others.map((column) => `${quote(column)} = EXCLUDED.${quote(column)}`).join(', ')}`
      : 'DO NOTHING'
    const list = columns.map(quote).join(', ')
    for (let i = 0; i < rows.length; i += FLUSH_ROWS) {
      await client.query(
        `INSERT INTO ${target} (${list}) SELECT ${list} FROM jsonb_populate_recordset(NULL::${target}, $1::jsonb) ON CONFLICT (${table.key.map(quote).join(', ')}) ${update}`,
        [JSON.stringify(rows.slice(i, i + FLUSH_ROWS))],
      )
    }
  }

  private mirrorColumns(table: Table): string[] {
    const columns = table.columns.map((column) => column.name)
    return table.key[0] === 'rowid' ? ['rowid', ...columns] : columns
  }

  /** What differs between the local schema and the one PostgreSQL holds. */
  private schemaChanges(): { entries: Map<string, string | undefined>; tables: Set<string> } {
    const entries = new Map<string, string | undefined>()
    const tables = new Set<string>()
    const local = this.db
      .prepare<[], { name: string; type: string; sql: string }>(
        "SELECT name, type, sql FROM main.sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'",
      )
      .all()
    const names = new Set<string>()
    for (const entry of local) {
      names.add(entry.name)
      if (this.mirrored.get(entry.name) === entry.sql) continue
      entries.set(entry.name, entry.sql)
      if (entry.type === 'table') tables.add(entry.name)
    }
    for (const name of this.mirrored.keys()) if (!names.has(name)) entries.set(name, undefined)
    return { entries, tables }
  }

  /**
   * Brings PostgreSQL's schema in line with the local one: the DDL every node loads, and for each
   * new or changed table, its mirror recreated and filled with every local row. Returns those tables.
   */
  private async pushSchema(
    client: PoolClient,
    schema: { entries: Map<string, string | undefined>; tables: Set<string> },
  ): Promise<Set<string>> {
    if (schema.entries.size === 0) return schema.tables
    const order = new Map(
      this.db
        .prepare<[], { name: string; ord: number }>('SELECT name, rowid AS ord FROM main.sqlite_master')
        .all()
        .map((row) => [row.name, row.ord]),
    )
    for (const [name, sql] of schema.entries) {
      if (sql === undefined) {
        await client.query('DELETE FROM kernel_sqlite_schema WHERE name = $1', [name])
        if (!this.tables.has(name)) await client.query(`DROP TABLE IF EXISTS ${quote(name)}`)
        continue
      }
      const type = sql.trimStart().toUpperCase().startsWith('CREATE TABLE') ? 'table' : 'index'
      await client.query(
        `INSERT INTO kernel_sqlite_schema (name, type, tbl_name, sql, ord) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO UPDATE SET type = EXCLUDED.type, tbl_name = EXCLUDED.tbl_name, sql = EXCLUDED.sql, ord = EXCLUDED.ord`,
        [name, type, name, sql, order.get(name) ?? 0],
      )
    }
    for (const name of schema.tables) {
      const table = this.tables.get(name) ?? this.describe(name)
      const columns = table.columns.map((column) => `${quote(column.name)} ${pgType(column.type)}`)
      if (table.key[0] === 'rowid') columns.unshift('"rowid" NUMERIC')
      await client.query(`DROP TABLE IF EXISTS ${quote(name)}`)
      await client.query(
        `CREATE TABLE ${quote(name)} (${columns.join(', ')}, PRIMARY KEY (${table.key.map(quote).join(', ')}))`,
      )
      const select = table.key[0] === 'rowid' ? `rowid AS rowid, *` : '*'
      const rows = this.db.prepare(`SELECT ${select} FROM main.${quote(name)}`).all() as Record<string, unknown>[]
      if (rows.length) await this.upsertRows(client, table, rows)
    }
    return schema.tables
  }

  /** Creates the capture triggers of tables that have none yet (new tables, changed columns). */
  private watchTables(): void {
    const local = this.db
      .prepare<[], { name: string; sql: string }>(
        "SELECT name, sql FROM main.sqlite_master WHERE type = 'table' AND sql IS NOT NULL AND name NOT LIKE 'sqlite_%'",
      )
      .all()
    for (const { name, sql } of local) {
      if (this.captured.get(name) === sql) continue
      this.captured.set(name, sql)
      const table = this.describe(name)
      const q = quote(name)
      const row = (prefix: string, columns: string[]) =>
        `json_object(${columns.map((column) => `${sqlString(column)}, ${prefix}.${quote(column)}`).join(', ')})`
      const all = this.mirrorColumns(table)
      const keyChanged = table.key.map((column) => `OLD.${quote(column)} IS NOT NEW.${quote(column)}`).join(' OR ')
      for (const kind of ['ins', 'upd', 'del'])
        this.db.exec(`DROP TRIGGER IF EXISTS temp.${quote(`kernel_capture_${name}_${kind}`)}`)
      this.db.exec(`
        CREATE TEMP TRIGGER ${quote(`kernel_capture_${name}_ins`)} AFTER INSERT ON main.${q} WHEN kernel_capture() BEGIN
          INSERT INTO kernel_capture_queue (tbl, op, row) VALUES (${sqlString(name)}, 'u', ${row('NEW', all)});
        END;
        CREATE TEMP TRIGGER ${quote(`kernel_capture_${name}_upd`)} AFTER UPDATE ON main.${q} WHEN kernel_capture() BEGIN
          INSERT INTO kernel_capture_queue (tbl, op, row) SELECT ${sqlString(name)}, 'd', ${row('OLD', table.key)} WHERE ${keyChanged};
          INSERT INTO kernel_capture_queue (tbl, op, row) VALUES (${sqlString(name)}, 'u', ${row('NEW', all)});
        END;
        CREATE TEMP TRIGGER ${quote(`kernel_capture_${name}_del`)} AFTER DELETE ON main.${q} WHEN kernel_capture() BEGIN
          INSERT INTO kernel_capture_queue (tbl, op, row) VALUES (${sqlString(name)}, 'd', ${row('OLD', table.key)});
        END;
      `)
    }
    // A migration may have created tables or indexes: commit them at the next flush.
    this.queued++
    this.schedule()
  }

  /** Reads a local table's columns and key, and prepares how remote rows are applied to it. */
  private describe(name: string): Table {
    const info = this.db.prepare(`PRAGMA main.table_info(${quote(name)})`).all() as {
      name: string
      type: string
      pk: number
    }[]
    const sql =
      this.db
        .prepare<[string], { sql: string }>("SELECT sql FROM main.sqlite_master WHERE type = 'table' AND name = ?")
        .get(name)?.sql ?? ''
    const key = info
      .filter((column) => column.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((column) => column.name)
    const table: Table = {
      name,
      sql,
      columns: info.map(({ name, type }) => ({ name, type })),
      key: key.length ? key : ['rowid'],
    }
    const columns = this.mirrorColumns(table)
    const others = columns.filter((column) => !table.key.includes(column))
    const update = others.length
      ? `DO UPDATE SET ${others.map((column) => `${quote(column)} = excluded.${quote(column)}`).join(', ')}`
      : 'DO NOTHING'
    table.upsert = this.db.prepare(
      `INSERT INTO main.${quote(name)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => `?`).join(', ')}) ON CONFLICT (${table.key.map(quote).join(', ')}) ${update}`,
    )
    table.remove = this.db.prepare(
      `DELETE FROM main.${quote(name)} WHERE ${table.key.map((column) => `${quote(column)} = ?`).join(' AND ')}`,
    )
    this.tables.set(name, table)
    return table
  }

  private applyRow(table: Table, op: 'u' | 'd', row: Record<string, unknown>): void {
    if (op === 'd') table.remove!.run(...table.key.map((column) => sqliteValue(row[column])))
    else table.upsert!.run(...this.mirrorColumns(table).map((column) => sqliteValue(row[column])))
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
      if (error instanceof ReplicaTooOldError) {
        // The replica cannot be brought up to date in place: restart (a fresh replica loads).
        this.cluster.log.fatal(
          { err: error },
          'cluster: this node missed changes that are no longer kept; shutting down so it restarts with a fresh replica',
        )
        this.stop()
        process.kill(process.pid, 'SIGTERM')
      } else if (!isConnectionError(error))
        this.cluster.log.error({ err: error }, "cluster: reading the other nodes' changes failed")
    })
    return Promise.resolve()
  }

  /** One page of changes and events, read in one snapshot; true when there may be more. */
  private async tailPage(): Promise<boolean> {
    const { changes, events } = await this.cluster.db.transaction(async (client) => {
      const changes = (
        await client.query<{ id: number; node: string; events_upto: number; changes: string }>(
          'SELECT id, node, events_upto, changes FROM kernel_change WHERE id > $1 ORDER BY id LIMIT $2',
          [this.lastChange, TAIL_CHANGES],
        )
      ).rows
      const events = (
        await client.query<EventRow>(
          'SELECT id, directory, project, payload, durable FROM kernel_event WHERE id > $1 ORDER BY id LIMIT $2',
          [this.lastEvent, TAIL_EVENTS],
        )
      ).rows
      // Changes this node has not read were pruned (it was cut off for longer than they are kept).
      if (changes.length && changes[0]!.id > this.lastChange + 1) {
        const pruned =
          (await client.query<{ upto: number }>("SELECT upto FROM kernel_pruned WHERE log = 'change'")).rows[0]?.upto ??
          0
        if (pruned > this.lastChange) throw new ReplicaTooOldError(this.lastChange, pruned)
      }
      return { changes, events }
    }, 'REPEATABLE READ READ ONLY')
    if (this.stopped) return false
    const more = changes.length === TAIL_CHANGES || events.length === TAIL_EVENTS
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

  private applyChanges(batches: { changes: string }[]): void {
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
          for (const [name, op, row] of changes) {
            const table = this.tables.get(name)
            if (!table) continue
            this.applyRow(table, op, row)
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
    const before = Date.now() - EVENT_RETENTION_MS
    try {
      await this.cluster.db.query(
        'DELETE FROM kernel_event WHERE id <= (SELECT max(id) FROM kernel_event) - $1 OR time < $2',
        [this.cluster.eventRetention, before],
      )
      // What was pruned is recorded: a node that had not read it yet must know (ReplicaTooOldError).
      await this.cluster.db.transaction(async (client) => {
        const upto = (
          await client.query<{ id: number | null }>('SELECT max(id) AS id FROM kernel_change WHERE time < $1', [before])
        ).rows[0]!.id
        if (upto === null) return
        await client.query(
          "INSERT INTO kernel_pruned (log, upto) VALUES ('change', $1) ON CONFLICT (log) DO UPDATE SET upto = GREATEST(kernel_pruned.upto, EXCLUDED.upto)",
          [upto],
        )
        await client.query('DELETE FROM kernel_change WHERE id <= $1', [upto])
      })
    } catch (error) {
      if (!isConnectionError(error)) this.cluster.log.warn({ err: error }, 'cluster: pruning old events failed')
    }
  }
}

/** The change log no longer holds what this node has yet to read. */
class ReplicaTooOldError extends Error {
  constructor(lastRead: number, prunedUpTo: number) {
    super(`read up to change ${lastRead}, changes up to ${prunedUpTo} were pruned`)
  }
}

/** A JSON value as SQLite binds it (booleans as 0/1, objects as JSON text). */
function sqliteValue(value: unknown): unknown {
  if (value === undefined) return null
  if (typeof value === 'boolean') return value ? 1 : 0
  if (value !== null && typeof value === 'object') return JSON.stringify(value)
  return value
}
