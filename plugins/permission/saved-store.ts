import { ascendingId, type Migration, type SqliteDatabase } from '../../sdk/index.js'
import type { PermissionRule } from '../agent/types.js'

/** A pattern a project allowed `always` (OpenCode 2.1's saved permission: editable, with an id). */
export interface SavedPermission {
  id: string
  project: string
  permission: string
  pattern: string
  timeCreated: number
  timeUpdated: number
}

interface Row {
  id: string
  project: string
  permission: string
  pattern: string
  time_created: number
  time_updated: number
}

const fromRow = (row: Row): SavedPermission => ({
  id: row.id,
  project: row.project,
  permission: row.permission,
  pattern: row.pattern,
  timeCreated: row.time_created,
  timeUpdated: row.time_updated,
})

/** Saved approvals get ids of their own (they were named by what they allow), so they can be edited. */
export const SAVED_MIGRATION: Migration = {
  id: '0002-saved-permission-ids',
  up: (db) => {
    db.exec(`
      CREATE TABLE permission_saved (
        id TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        permission TEXT NOT NULL,
        pattern TEXT NOT NULL,
        time_created INTEGER NOT NULL,
        time_updated INTEGER NOT NULL,
        UNIQUE (project, permission, pattern)
      );
    `)
    const old = db
      .prepare<[], { project: string; permission: string; pattern: string; time_created: number }>(
        'SELECT project, permission, pattern, time_created FROM permission_approval ORDER BY time_created, rowid',
      )
      .all()
    const insert = db.prepare<[string, string, string, string, number, number]>(
      'INSERT INTO permission_saved (id, project, permission, pattern, time_created, time_updated) VALUES (?, ?, ?, ?, ?, ?)',
    )
    for (const row of old)
      insert.run(ascendingId('psv'), row.project, row.permission, row.pattern, row.time_created, row.time_created)
    db.exec('DROP TABLE permission_approval')
  },
}

const COLUMNS = 'id, project, permission, pattern, time_created, time_updated'

/** The patterns projects allowed `always`, in the order they were saved. */
export class SavedPermissionStore {
  private readonly statements

  constructor(db: SqliteDatabase) {
    this.statements = {
      insert: db.prepare<[string, string, string, string, number, number]>(
        `INSERT OR IGNORE INTO permission_saved (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      get: db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM permission_saved WHERE id = ?`),
      find: db.prepare<[string, string, string], Row>(
        `SELECT ${COLUMNS} FROM permission_saved WHERE project = ? AND permission = ? AND pattern = ?`,
      ),
      all: db.prepare<[], Row>(`SELECT ${COLUMNS} FROM permission_saved ORDER BY project, time_created, rowid`),
      ofProject: db.prepare<[string], Row>(
        `SELECT ${COLUMNS} FROM permission_saved WHERE project = ? ORDER BY time_created, rowid`,
      ),
      update: db.prepare<[string, string, number, string]>(
        'UPDATE permission_saved SET permission = ?, pattern = ?, time_updated = ? WHERE id = ?',
      ),
      remove: db.prepare<[string]>('DELETE FROM permission_saved WHERE id = ?'),
    }
  }

  /** Saves each pattern not saved yet. */
  save(project: string, permission: string, patterns: string[]): void {
    const now = Date.now()
    for (const pattern of patterns)
      this.statements.insert.run(ascendingId('psv'), project, permission, pattern, now, now)
  }

  /** Of one project, or of all. */
  list(project?: string): SavedPermission[] {
    return (project === undefined ? this.statements.all.all() : this.statements.ofProject.all(project)).map(fromRow)
  }

  get(id: string): SavedPermission | undefined {
    const row = this.statements.get.get(id)
    return row && fromRow(row)
  }

  /** The saved permission of the project that allows exactly this. */
  find(project: string, permission: string, pattern: string): SavedPermission | undefined {
    const row = this.statements.find.get(project, permission, pattern)
    return row && fromRow(row)
  }

  update(id: string, permission: string, pattern: string): void {
    this.statements.update.run(permission, pattern, Date.now(), id)
  }

  remove(id: string): SavedPermission | undefined {
    const saved = this.get(id)
    if (saved) this.statements.remove.run(id)
    return saved
  }

  /** A project's saved permissions as `allow` rules. */
  rules(project: string): PermissionRule[] {
    return this.statements.ofProject
      .all(project)
      .map((row) => ({ permission: row.permission, pattern: row.pattern, action: 'allow' as const }))
  }
}
