import type { PoolClient } from 'pg'
import type { Fence } from './leases.js'
import type { BusEvent } from '../events/bus.js'
import type { SqliteDatabase } from '../storage/sqlite-storage.js'
import type { EventRow } from './event-feed.js'
import type { PgDatabase } from './pg-database.js'
import { mirrorColumns, pgType, quote, type Change, type SchemaChanges, type Table } from './replica-tables.js'

/** The NOTIFY channel: its payload is only the writing node's id, never data. */
export const CHANNEL = 'opencode_kernel'
/** Advisory locks: writers take WRITE for the length of a commit, so ids commit in id order. */
export const LOCK_WRITE = 0x6f6b0001
/** Held by a starting node from loading the stores until its migrations are committed. */
export const LOCK_START = 0x6f6b0002

/** Now on the database's clock, in ms: log times and lease expiries never depend on a node's clock. */
export const DB_NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`

/** Rows of the local queue flushed per transaction (and upserted per statement). */
export const FLUSH_ROWS = 5000
/** Changes, and events, read per catch-up page. */
export const TAIL_CHANGES = 200
const TAIL_EVENTS = 2000

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS kernel_sqlite_schema (name TEXT PRIMARY KEY, type TEXT NOT NULL, tbl_name TEXT NOT NULL, sql TEXT NOT NULL, ord INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS kernel_change (id BIGSERIAL PRIMARY KEY, node TEXT NOT NULL, time BIGINT NOT NULL, events_upto BIGINT NOT NULL, changes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kernel_event (id BIGSERIAL PRIMARY KEY, node TEXT NOT NULL, time BIGINT NOT NULL, directory TEXT NOT NULL, project TEXT, payload TEXT NOT NULL, durable TEXT);
CREATE INDEX IF NOT EXISTS kernel_event_time ON kernel_event (time);
CREATE INDEX IF NOT EXISTS kernel_change_time ON kernel_change (time);
CREATE TABLE IF NOT EXISTS kernel_pruned (log TEXT PRIMARY KEY, upto BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS kernel_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE OR REPLACE FUNCTION kernel_sql_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  rows jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN
    SELECT coalesce(jsonb_agg(jsonb_build_array(TG_TABLE_NAME, 'd', to_jsonb(o))), '[]'::jsonb) INTO rows FROM old_rows o;
  ELSE
    SELECT coalesce(jsonb_agg(jsonb_build_array(TG_TABLE_NAME, 'u', to_jsonb(n))), '[]'::jsonb) INTO rows FROM new_rows n;
  END IF;
  IF jsonb_array_length(rows) > 0 THEN
    PERFORM pg_advisory_xact_lock(${LOCK_WRITE});
    INSERT INTO kernel_change (node, time, events_upto, changes)
    VALUES ('sql', (extract(epoch from clock_timestamp()) * 1000)::bigint,
      (SELECT coalesce(max(id), 0) FROM kernel_event), jsonb_build_object('changes', rows, 'tables', '[]'::jsonb)::text);
    PERFORM pg_notify('opencode_kernel', 'sql');
  END IF;
  RETURN NULL;
END
$fn$;
`

/** What a node's own flush sets, so the triggers below leave its writes alone. */
export const NODE_WRITER = "SET LOCAL opencode_kernel.writer = 'node'"

/**
 * Writes to a mirror table that no node made (a row fixed by hand in SQL, a restore of some rows)
 * go to the change log as a change of node `sql`, which every node applies like any other.
 */
export async function watchMirror(client: PoolClient, table: string): Promise<void> {
  const name = quote(table)
  const when = "WHEN (coalesce(current_setting('opencode_kernel.writer', true), '') <> 'node')"
  const events: [string, string][] = [
    ['INSERT', 'NEW TABLE AS new_rows'],
    ['UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows'],
    ['DELETE', 'OLD TABLE AS old_rows'],
  ]
  for (const [event, tables] of events) {
    await client.query(
      `CREATE OR REPLACE TRIGGER ${quote(`kernel_sql_${event.toLowerCase()}`)} AFTER ${event} ON ${name}
       REFERENCING ${tables} FOR EACH STATEMENT ${when} EXECUTE FUNCTION kernel_sql_change()`,
    )
  }
}

/** An event published on this node, waiting to be committed (its payload serialised as published). */
export interface PendingEvent {
  event: BusEvent
  payload: string
}

/** A row of `kernel_change`: one node's commit. */
export interface ChangeRow {
  id: number
  node: string
  events_upto: number
  changes: string
}

/** The change log no longer holds what this node has yet to read. */
export class ReplicaTooOldError extends Error {
  constructor(lastRead: number, prunedUpTo: number) {
    super(`read up to change ${lastRead}, changes up to ${prunedUpTo} were pruned`)
  }
}

/** The change or event log is behind what this node read: the database was restored from a dump. */
export class DatabaseRestoredError extends Error {
  constructor() {
    super('the database is older than what this node has read (restored from a dump?)')
  }
}

/** Upserts `rows` into the mirror of `table`, a statement per `FLUSH_ROWS` rows. */
/** A JSON `\u0000` escape (not an escaped backslash followed by `u0000`). */
const NUL_ESCAPE = /(?<!\\)((?:\\\\)*)\\u0000/g

/**
 * Rows as the JSON `jsonb_populate_recordset` reads. PostgreSQL's text cannot hold U+0000 (jsonb
 * refuses the escape), and one refused row would stop every later write of the node: a NUL a
 * plugin stored in a column is written to the mirror as U+FFFD (the local copy and the change
 * log, which other nodes apply, keep it). Requests cannot bring one: bodies with NUL are a 400.
 */
export function mirrorJson(rows: readonly Record<string, unknown>[]): string {
  const json = JSON.stringify(rows)
  return json.includes('\\u0000') ? json.replace(NUL_ESCAPE, '$1\\ufffd') : json
}

export async function upsertRows(client: PoolClient, table: Table, rows: Record<string, unknown>[]): Promise<void> {
  const target = quote(table.name)
  const columns = mirrorColumns(table)
  const others = columns.filter((column) => !table.key.includes(column))
  const update = others.length
    ? `DO UPDATE SET ${others.map((column) => `${quote(column)} = EXCLUDED.${quote(column)}`).join(', ')}`
    : 'DO NOTHING'
  const list = columns.map(quote).join(', ')
  for (let i = 0; i < rows.length; i += FLUSH_ROWS) {
    await client.query(
      `INSERT INTO ${target} (${list}) SELECT ${list} FROM jsonb_populate_recordset(NULL::${target}, $1::jsonb) ON CONFLICT (${table.key.map(quote).join(', ')}) ${update}`,
      [mirrorJson(rows.slice(i, i + FLUSH_ROWS))],
    )
  }
}

/** The upserts and deletes of one flush, one statement per table and kind. */
export async function writeChanges(
  client: PoolClient,
  tables: ReadonlyMap<string, Table>,
  changes: readonly Change[],
): Promise<void> {
  type Group = {
    u: Record<string, unknown>[]
    d: Record<string, unknown>[]
    set: Map<string, Record<string, unknown>[]>
  }
  const byTable = new Map<string, Group>()
  for (const [tbl, op, row, columns] of changes) {
    let group = byTable.get(tbl)
    if (!group) byTable.set(tbl, (group = { u: [], d: [], set: new Map() }))
    if (op === 'u' && columns) {
      const id = columns.join('\u0000')
      const rows = group.set.get(id) ?? []
      rows.push(row)
      group.set.set(id, rows)
    } else group[op].push(row)
  }
  for (const [name, group] of byTable) {
    const table = tables.get(name)
    if (!table) continue
    const target = quote(name)
    const match = table.key.map((column) => `t.${quote(column)} = d.${quote(column)}`).join(' AND ')
    if (group.d.length) {
      await client.query(
        `DELETE FROM ${target} t USING jsonb_populate_recordset(NULL::${target}, $1::jsonb) d WHERE ${match}`,
        [mirrorJson(group.d)],
      )
    }
    if (group.u.length) await upsertRows(client, table, group.u)
    for (const [id, rows] of group.set) await updateColumns(client, table, id.split('\u0000'), rows, match)
  }
}

/**
 * Writes only `columns` of rows that exist (a row several nodes change keeps each node's own
 * columns), and whole rows that do not.
 */
async function updateColumns(
  client: PoolClient,
  table: Table,
  columns: string[],
  rows: Record<string, unknown>[],
  match: string,
): Promise<void> {
  const target = quote(table.name)
  const list = mirrorColumns(table).map(quote).join(', ')
  for (let i = 0; i < rows.length; i += FLUSH_ROWS) {
    const json = mirrorJson(rows.slice(i, i + FLUSH_ROWS))
    await client.query(
      `INSERT INTO ${target} (${list}) SELECT ${list} FROM jsonb_populate_recordset(NULL::${target}, $1::jsonb) ON CONFLICT (${table.key.map(quote).join(', ')}) DO NOTHING`,
      [json],
    )
    await client.query(
      `UPDATE ${target} t SET ${columns.map((column) => `${quote(column)} = d.${quote(column)}`).join(', ')} FROM jsonb_populate_recordset(NULL::${target}, $1::jsonb) d WHERE ${match}`,
      [json],
    )
  }
}

/** Appends this node's published events to `kernel_event`, in the order they were published. */
/** Inserts the events in order; returns the id of the last (0 when there are none). */
export async function insertEvents(client: PoolClient, node: string, events: readonly PendingEvent[]): Promise<number> {
  if (!events.length) return 0
  const json = JSON.stringify(
    events.map(({ event, payload }) => ({
      directory: event.directory,
      project: event.project ?? null,
      payload,
      durable: event.durable ? JSON.stringify(event.durable) : null,
    })),
  )
  const inserted = await client.query<{ last: string }>(
    `WITH added AS (
       INSERT INTO kernel_event (node, time, directory, project, payload, durable)
       SELECT $2, ${DB_NOW}, x.e->>'directory', x.e->>'project', x.e->>'payload', x.e->>'durable'
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(e, n) ORDER BY x.n
       RETURNING id
     ) SELECT max(id) AS last FROM added`,
    [json, node],
  )
  return Number(inserted.rows[0]!.last)
}

/** Records a commit in the change log the other nodes read (with the events committed up to it). */
export async function insertChange(
  client: PoolClient,
  node: string,
  changes: readonly Change[],
  tables: ReadonlySet<string>,
): Promise<void> {
  await client.query(
    `INSERT INTO kernel_change (node, time, events_upto, changes) VALUES ($1, ${DB_NOW}, (SELECT coalesce(max(id), 0) FROM kernel_event), $2)`,
    [node, JSON.stringify({ changes, tables: [...tables] })],
  )
}

/**
 * Brings PostgreSQL's schema in line with the local one: the DDL every node loads, and for each
 * new or changed table, its mirror recreated and filled with every local row. Returns those tables.
 */
export async function pushSchema(
  client: PoolClient,
  db: SqliteDatabase,
  schema: SchemaChanges,
  tables: ReadonlyMap<string, Table>,
  describe: (name: string) => Table,
): Promise<Set<string>> {
  if (schema.entries.size === 0) return schema.tables
  const order = new Map(
    db
      .prepare<[], { name: string; ord: number }>('SELECT name, rowid AS ord FROM main.sqlite_master')
      .all()
      .map((row) => [row.name, row.ord]),
  )
  for (const [name, sql] of schema.entries) {
    if (sql === undefined) {
      await client.query('DELETE FROM kernel_sqlite_schema WHERE name = $1', [name])
      if (!tables.has(name)) await client.query(`DROP TABLE IF EXISTS ${quote(name)}`)
      continue
    }
    const type = sql.trimStart().toUpperCase().startsWith('CREATE TABLE') ? 'table' : 'index'
    await client.query(
      `INSERT INTO kernel_sqlite_schema (name, type, tbl_name, sql, ord) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name) DO UPDATE SET type = EXCLUDED.type, tbl_name = EXCLUDED.tbl_name, sql = EXCLUDED.sql, ord = EXCLUDED.ord`,
      [name, type, name, sql, order.get(name) ?? 0],
    )
  }
  for (const name of schema.tables) await recreateMirror(client, db, tables.get(name) ?? describe(name))
  return schema.tables
}

/** Drops and recreates a table's mirror in PostgreSQL, filled with every local row. */
async function recreateMirror(client: PoolClient, db: SqliteDatabase, table: Table): Promise<void> {
  const name = quote(table.name)
  const columns = table.columns.map((column) => `${quote(column.name)} ${pgType(column.type)}`)
  if (table.key[0] === 'rowid') columns.unshift('"rowid" NUMERIC')
  await client.query(`DROP TABLE IF EXISTS ${name}`)
  await client.query(`CREATE TABLE ${name} (${columns.join(', ')}, PRIMARY KEY (${table.key.map(quote).join(', ')}))`)
  await watchMirror(client, table.name)
  const select = table.key[0] === 'rowid' ? `rowid AS rowid, *` : '*'
  const rows = db.prepare(`SELECT ${select} FROM main.${name}`).all() as Record<string, unknown>[]
  if (rows.length) await upsertRows(client, table, rows)
}

/** One page of the changes and events committed after those read, in one snapshot. */
export async function readPage(
  db: PgDatabase,
  lastChange: number,
  lastEvent: number,
): Promise<{ changes: ChangeRow[]; events: EventRow[]; more: boolean }> {
  const page = await db.transaction(async (client) => {
    const changes = (
      await client.query<ChangeRow>(
        'SELECT id, node, events_upto, changes FROM kernel_change WHERE id > $1 ORDER BY id LIMIT $2',
        [lastChange, TAIL_CHANGES],
      )
    ).rows
    const events = (
      await client.query<EventRow>(
        'SELECT id, directory, project, payload, durable FROM kernel_event WHERE id > $1 ORDER BY id LIMIT $2',
        [lastEvent, TAIL_EVENTS],
      )
    ).rows
    // Changes this node has not read were pruned (it was cut off for longer than they are kept).
    if (changes.length && changes[0]!.id > lastChange + 1) {
      const pruned =
        (await client.query<{ upto: number }>("SELECT upto FROM kernel_pruned WHERE log = 'change'")).rows[0]?.upto ?? 0
      if (pruned > lastChange) throw new ReplicaTooOldError(lastChange, pruned)
    }
    // Sequences only go back when the database is restored (pg_restore sets them): what this node
    // holds is then newer than the database, and it must load the database afresh.
    if (changes.length === 0 && events.length === 0) {
      const { rows } = await client.query<{ change: number; event: number }>(
        'SELECT (SELECT last_value FROM kernel_change_id_seq) AS change, (SELECT last_value FROM kernel_event_id_seq) AS event',
      )
      if (rows[0]!.change < lastChange || rows[0]!.event < lastEvent) throw new DatabaseRestoredError()
    }
    return { changes, events }
  }, 'REPEATABLE READ READ ONLY')
  return { ...page, more: page.changes.length === TAIL_CHANGES || page.events.length === TAIL_EVENTS }
}

/** Drops events past retention (`keep` newest, none older than `before`) and change-log rows older than `before`. */
export async function pruneLogs(db: PgDatabase, keep: number, maxAgeMs: number): Promise<void> {
  const before = `${DB_NOW} - $2::bigint`
  await db.query(`DELETE FROM kernel_event WHERE id <= (SELECT max(id) FROM kernel_event) - $1 OR time < ${before}`, [
    keep,
    maxAgeMs,
  ])
  // What was pruned is recorded: a node that had not read it yet must know (ReplicaTooOldError).
  await db.transaction(async (client) => {
    const upto = (
      await client.query<{ id: number | null }>(
        `SELECT max(id) AS id FROM kernel_change WHERE time < ${DB_NOW} - $1::bigint`,
        [maxAgeMs],
      )
    ).rows[0]!.id
    if (upto === null) return
    await client.query(
      "INSERT INTO kernel_pruned (log, upto) VALUES ('change', $1) ON CONFLICT (log) DO UPDATE SET upto = GREATEST(kernel_pruned.upto, EXCLUDED.upto)",
      [upto],
    )
    await client.query('DELETE FROM kernel_change WHERE id <= $1', [upto])
  })
}

/** A flush whose writes were made under an instance lease this node no longer holds. */
export class FencedError extends Error {
  constructor(readonly directories: string[]) {
    super(`this node lost the lease of ${directories.join(', ')} before its writes there were committed`)
  }
}

/**
 * Inside a flush: each lease (directory, epoch) the writes were made under is still this node's,
 * at that epoch, else FencedError (the transaction rolls back). The rows stay share-locked until
 * the commit, so no other node takes one of them over in between.
 */
export async function checkFences(client: PoolClient, node: string, fences: readonly Fence[]): Promise<void> {
  if (fences.length === 0) return
  const { rows } = await client.query<{ directory: string; epoch: number }>(
    `SELECT l.directory, l.epoch FROM kernel_lease l JOIN unnest($2::text[], $3::bigint[]) AS f(directory, epoch)
     ON l.directory = f.directory AND l.epoch = f.epoch WHERE l.node_id = $1 FOR SHARE OF l`,
    [node, fences.map((fence) => fence.directory), fences.map((fence) => fence.epoch)],
  )
  const held = new Set(rows.map((row) => `${row.epoch} ${row.directory}`))
  const lost = fences.filter((fence) => !held.has(`${fence.epoch} ${fence.directory}`))
  if (lost.length) throw new FencedError([...new Set(lost.map((fence) => fence.directory))])
}

/** Watches every mirror table for writes no node made (`watchMirror`): at start, under the write lock. */
export async function watchMirrors(client: PoolClient): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    "SELECT name FROM kernel_sqlite_schema WHERE type = 'table' AND to_regclass(quote_ident(name)) IS NOT NULL",
  )
  for (const { name } of rows) await watchMirror(client, name)
}

/**
 * The version of the cluster's own tables and rules this code writes (2: lease epochs, fenced
 * flushes, hand-edit triggers). A node refuses a database whose version says nodes older than
 * `compatibleFrom` must not use it; a newer version that still accepts this one's writes (a
 * rolling upgrade: expand first, contract later) lets it run.
 */
export const CLUSTER_SCHEMA = { version: 2, compatibleFrom: 2 }

/** Checks the database's cluster schema version against this node's, and records a newer one. */
export async function checkClusterSchema(client: PoolClient): Promise<void> {
  const { rows } = await client.query<{ value: string }>("SELECT value FROM kernel_meta WHERE key = 'schema'")
  const stored = rows[0] ? (JSON.parse(rows[0].value) as typeof CLUSTER_SCHEMA) : undefined
  if (stored && stored.compatibleFrom > CLUSTER_SCHEMA.version)
    throw new Error(
      `the database is used by a newer version of opencode-kernel (cluster schema ${stored.version}, for nodes of schema ${stored.compatibleFrom} or later); this node knows schema ${CLUSTER_SCHEMA.version}: upgrade it`,
    )
  if (!stored || stored.version < CLUSTER_SCHEMA.version)
    await client.query(
      "INSERT INTO kernel_meta (key, value) VALUES ('schema', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
      [JSON.stringify(CLUSTER_SCHEMA)],
    )
}
