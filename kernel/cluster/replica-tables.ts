import type { SqliteDatabase } from '../storage/sqlite-storage.js'

interface Column {
  name: string
  type: string
}

/** A local table as the replica mirrors it: its columns and the key PostgreSQL upserts on. */
export interface Table {
  name: string
  sql: string
  columns: Column[]
  /** Primary key columns; `rowid` for a table that declares none. */
  key: string[]
  upsert?: { run(...params: unknown[]): unknown }
  remove?: { run(...params: unknown[]): unknown }
  /** Sets only `columns` of the row with the key (prepared once per set of columns). */
  update?: (columns: string[]) => { run(...params: unknown[]): { changes: number } }
}

/**
 * One captured write: `u` (the row as it now is) or `d` (the key of a deleted row). An update
 * names the columns it changed: applied elsewhere, only those are written, so two nodes changing
 * different columns of one row (a project's name and its icon) both keep their change.
 */
export type Change = [table: string, op: 'u' | 'd', row: Record<string, unknown>, columns?: string[]]

/** What differs between the local schema and PostgreSQL's: DDL by name (undefined: dropped), and the tables among them. */
export interface SchemaChanges {
  entries: Map<string, string | undefined>
  tables: Set<string>
}

export const quote = (name: string) => `"${name.replace(/"/g, '""')}"`
const sqlString = (text: string) => `'${text.replace(/'/g, "''")}'`

/** The PostgreSQL column type mirroring a SQLite column, by SQLite's affinity rules. */
export function pgType(declared: string): string {
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

/** The columns of a table's mirror: its own, and `rowid` first for a table without a key. */
export function mirrorColumns(table: Table): string[] {
  const columns = table.columns.map((column) => column.name)
  return table.key[0] === 'rowid' ? ['rowid', ...columns] : columns
}

/** Reads a local table's columns and key, and prepares how remote rows are applied to it. */
export function describeTable(db: SqliteDatabase, name: string): Table {
  const info = db.prepare(`PRAGMA main.table_info(${quote(name)})`).all() as {
    name: string
    type: string
    pk: number
  }[]
  const sql =
    db
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
  const columns = mirrorColumns(table)
  const others = columns.filter((column) => !table.key.includes(column))
  const update = others.length
    ? `DO UPDATE SET ${others.map((column) => `${quote(column)} = excluded.${quote(column)}`).join(', ')}`
    : 'DO NOTHING'
  table.upsert = db.prepare(
    `INSERT INTO main.${quote(name)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => `?`).join(', ')}) ON CONFLICT (${table.key.map(quote).join(', ')}) ${update}`,
  )
  table.remove = db.prepare(
    `DELETE FROM main.${quote(name)} WHERE ${table.key.map((column) => `${quote(column)} = ?`).join(' AND ')}`,
  )
  const updates = new Map<string, { run(...params: unknown[]): { changes: number } }>()
  table.update = (changed) => {
    const id = changed.join('\u0000')
    let statement = updates.get(id)
    if (!statement) {
      statement = db.prepare(
        `UPDATE main.${quote(name)} SET ${changed.map((column) => `${quote(column)} = ?`).join(', ')} WHERE ${table.key.map((column) => `${quote(column)} = ?`).join(' AND ')}`,
      ) as unknown as { run(...params: unknown[]): { changes: number } }
      updates.set(id, statement)
    }
    return statement
  }
  return table
}

/** A JSON value as SQLite binds it (booleans as 0/1, objects as JSON text). */
function sqliteValue(value: unknown): unknown {
  if (value === undefined) return null
  if (typeof value === 'boolean') return value ? 1 : 0
  if (value !== null && typeof value === 'object') return JSON.stringify(value)
  return value
}

/** Writes a row another node changed (or deletes it) in the local table: only its changed columns when it names them. */
export function applyRow(table: Table, op: 'u' | 'd', row: Record<string, unknown>, columns?: string[]): void {
  if (op === 'd') return void table.remove!.run(...table.key.map((column) => sqliteValue(row[column])))
  if (columns) {
    const values = [...columns, ...table.key].map((column) => sqliteValue(row[column]))
    if (table.update!(columns).run(...values).changes > 0) return
  }
  table.upsert!.run(...mirrorColumns(table).map((column) => sqliteValue(row[column])))
}

/** The local tables (not SQLite's own) with their DDL. */
export function localTables(db: SqliteDatabase): { name: string; sql: string }[] {
  return db
    .prepare<[], { name: string; sql: string }>(
      "SELECT name, sql FROM main.sqlite_master WHERE type = 'table' AND sql IS NOT NULL AND name NOT LIKE 'sqlite_%'",
    )
    .all()
}

/**
 * (Re)creates the temporary triggers that capture every write of `table` into the local queue
 * (`kernel_capture_queue`), while `kernel_capture()` says so.
 */
export function createCaptureTriggers(db: SqliteDatabase, table: Table): void {
  const { name } = table
  const q = quote(name)
  const row = (prefix: string, columns: string[]) =>
    `json_object(${columns.map((column) => `${sqlString(column)}, ${prefix}.${quote(column)}`).join(', ')})`
  const all = mirrorColumns(table)
  const keyChanged = table.key.map((column) => `OLD.${quote(column)} IS NOT NEW.${quote(column)}`).join(' OR ')
  for (const kind of ['ins', 'upd', 'del'])
    db.exec(`DROP TRIGGER IF EXISTS temp.${quote(`kernel_capture_${name}_${kind}`)}`)
  db.exec(`
    CREATE TEMP TRIGGER ${quote(`kernel_capture_${name}_ins`)} AFTER INSERT ON main.${q} WHEN kernel_capture() BEGIN
      INSERT INTO kernel_capture_queue (tbl, op, row) VALUES (${sqlString(name)}, 'u', ${row('NEW', all)});
    END;
    CREATE TEMP TRIGGER ${quote(`kernel_capture_${name}_upd`)} AFTER UPDATE ON main.${q} WHEN kernel_capture() BEGIN
      INSERT INTO kernel_capture_queue (tbl, op, row) SELECT ${sqlString(name)}, 'd', ${row('OLD', table.key)} WHERE ${keyChanged};
      INSERT INTO kernel_capture_queue (tbl, op, row, old) SELECT ${sqlString(name)}, 'u', ${row('NEW', all)}, ${row('OLD', all)} WHERE NOT (${keyChanged});
      INSERT INTO kernel_capture_queue (tbl, op, row) SELECT ${sqlString(name)}, 'u', ${row('NEW', all)} WHERE ${keyChanged};
    END;
    CREATE TEMP TRIGGER ${quote(`kernel_capture_${name}_del`)} AFTER DELETE ON main.${q} WHEN kernel_capture() BEGIN
      INSERT INTO kernel_capture_queue (tbl, op, row) VALUES (${sqlString(name)}, 'd', ${row('OLD', table.key)});
    END;
  `)
}

/** What differs between the local schema and `mirrored`, the one PostgreSQL holds. */
export function schemaChanges(db: SqliteDatabase, mirrored: ReadonlyMap<string, string>): SchemaChanges {
  const entries = new Map<string, string | undefined>()
  const tables = new Set<string>()
  const local = db
    .prepare<[], { name: string; type: string; sql: string }>(
      "SELECT name, type, sql FROM main.sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'",
    )
    .all()
  const names = new Set<string>()
  for (const entry of local) {
    names.add(entry.name)
    if (mirrored.get(entry.name) === entry.sql) continue
    entries.set(entry.name, entry.sql)
    if (entry.type === 'table') tables.add(entry.name)
  }
  for (const name of mirrored.keys()) if (!names.has(name)) entries.set(name, undefined)
  return { entries, tables }
}

/**
 * The last write of each row in a flush: the mirror has no foreign keys or unique constraints
 * besides the key, so applying only that, in any order, gives the same rows. An update (`old`
 * given) keeps the columns it changed, the union over the row's updates in the flush; an insert or
 * a delete in between makes it a whole row.
 */
export function latestChanges(
  rows: readonly { tbl: string; op: 'u' | 'd'; row: string; old?: string | null }[],
  tables: ReadonlyMap<string, Table>,
): Change[] {
  const latest = new Map<string, Change>()
  for (const { tbl, op, row, old } of rows) {
    const parsed = JSON.parse(row) as Record<string, unknown>
    const table = tables.get(tbl)
    const key = `${tbl}\u0000${JSON.stringify(table ? table.key.map((column) => parsed[column]) : parsed)}`
    const previous = latest.get(key)
    let columns: string[] | undefined
    if (op === 'u' && old && table) {
      const before = JSON.parse(old) as Record<string, unknown>
      const changed = table.columns
        .map((column) => column.name)
        .filter((column) => !table.key.includes(column) && !sameValue(before[column], parsed[column]))
      // An update that changed nothing adds nothing.
      if (changed.length === 0 && !previous) continue
      const earlier = previous ? previous[3] : []
      columns =
        previous && (previous[1] === 'd' || earlier === undefined)
          ? undefined
          : [...new Set([...(earlier ?? []), ...changed])]
    }
    latest.delete(key)
    latest.set(key, columns ? [tbl, op, parsed, columns] : [tbl, op, parsed])
  }
  return [...latest.values()]
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b)
}
