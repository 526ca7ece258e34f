import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

export type SqliteDatabase = Database.Database

/** One schema step of a plugin's own tables. Ids order the steps and are never reused. */
export interface Migration {
  id: string
  up: (db: SqliteDatabase) => void
}

/**
 * The kernel's storage: one embedded SQLite database in WAL mode. Each plugin migrates its own
 * tables; a migration runs once, inside a transaction, and is recorded with its owner.
 */
export class Storage {
  readonly db: SqliteDatabase
  private readonly closeHooks: (() => void)[] = []
  private readonly migratedHooks: (() => void)[] = []
  private readonly externalHooks: ((tables: ReadonlySet<string>) => void)[] = []

  constructor(readonly file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
    this.db = new Database(file)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = NORMAL')
    this.db.pragma('foreign_keys = ON')
    this.db.pragma('busy_timeout = 5000')
    this.db.exec(`CREATE TABLE IF NOT EXISTS kernel_migration (
      owner TEXT NOT NULL,
      id TEXT NOT NULL,
      applied_at INTEGER NOT NULL,
      PRIMARY KEY (owner, id)
    )`)
  }

  /** Applies the owner's migrations not applied yet, in id order. Returns the ids it applied. */
  migrate(owner: string, migrations: readonly Migration[]): string[] {
    const ids = new Set<string>()
    for (const migration of migrations) {
      if (ids.has(migration.id)) throw new Error(`${owner}: migration "${migration.id}" is defined twice`)
      ids.add(migration.id)
    }
    const applied = new Set(
      (this.db.prepare('SELECT id FROM kernel_migration WHERE owner = ?').all(owner) as { id: string }[]).map(
        (row) => row.id,
      ),
    )
    const record = this.db.prepare('INSERT INTO kernel_migration (owner, id, applied_at) VALUES (?, ?, ?)')
    const done: string[] = []
    // Code-unit order, not localeCompare: the first localeCompare loads ICU's collator (~9 ms and
    // ~3 MiB of RSS at every start-up, measured).
    for (const migration of [...migrations].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
      if (applied.has(migration.id)) continue
      this.db.transaction(() => {
        migration.up(this.db)
        record.run(owner, migration.id, Date.now())
      })()
      done.push(migration.id)
    }
    if (done.length) for (const hook of this.migratedHooks) hook()
    return done
  }

  /** Runs after a migration changed the schema (a cluster's replica mirrors new tables). */
  onMigrated(hook: () => void): void {
    this.migratedHooks.push(hook)
  }

  /**
   * Runs when rows of `tables` changed under the plugins' feet: another server of the cluster
   * wrote them. Plugins that cache rows in memory forget those of the tables named.
   */
  onExternalChange(hook: (tables: ReadonlySet<string>) => void): () => void {
    this.externalHooks.push(hook)
    return () => {
      const i = this.externalHooks.indexOf(hook)
      if (i >= 0) this.externalHooks.splice(i, 1)
    }
  }

  /** Tells `onExternalChange` hooks that other servers changed rows of `tables`. */
  changedExternally(tables: ReadonlySet<string>): void {
    for (const hook of this.externalHooks) hook(tables)
  }

  /** Runs once the database is closed (a cluster's replica removes its temp file). */
  onClose(hook: () => void): void {
    this.closeHooks.push(hook)
  }

  close(): void {
    if (this.db.open) this.db.close()
    for (const hook of this.closeHooks.splice(0)) hook()
  }
}
