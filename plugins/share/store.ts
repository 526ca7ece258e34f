import { type Migration, type SqliteDatabase } from '../../sdk/index.js'

export const SHARE_MIGRATIONS: Migration[] = [
  {
    id: '0001-share',
    up: (db) =>
      db.exec(
        'CREATE TABLE share (id TEXT PRIMARY KEY, session_id TEXT NOT NULL UNIQUE, time_created INTEGER NOT NULL)',
      ),
  },
]

/** Which session each share id shows; at most one share per session. */
export class ShareStore {
  private readonly statements

  constructor(db: SqliteDatabase) {
    this.statements = {
      add: db.prepare<[string, string, number]>('INSERT INTO share (id, session_id, time_created) VALUES (?, ?, ?)'),
      bySession: db.prepare<[string], { id: string }>('SELECT id FROM share WHERE session_id = ?'),
      byId: db.prepare<[string], { session_id: string }>('SELECT session_id FROM share WHERE id = ?'),
      remove: db.prepare<[string]>('DELETE FROM share WHERE session_id = ?'),
    }
  }

  add(id: string, sessionID: string): void {
    this.statements.add.run(id, sessionID, Date.now())
  }

  idOf(sessionID: string): string | undefined {
    return this.statements.bySession.get(sessionID)?.id
  }

  sessionOf(id: string): string | undefined {
    return this.statements.byId.get(id)?.session_id
  }

  remove(sessionID: string): void {
    this.statements.remove.run(sessionID)
  }
}
