// OpenCode 2.1's transcript entries that have no v1 message (`idle`, `agent-switched`,
// `model-switched`): stored beside the messages as the 2.1 message they are shown as.
import type { SqliteDatabase } from '../../../sdk/index.js'

/** One entry as 2.1's transcript shows it. */
export interface SessionEntry {
  id: string
  type: string
  time: { created: number }
  [key: string]: unknown
}

export interface IdleEntry extends SessionEntry {
  type: 'idle'
  outcome: 'succeeded' | 'failed' | 'interrupted'
  error?: { type: string; message: string }
}

export class SessionEntries {
  private readonly statements

  constructor(db: SqliteDatabase) {
    this.statements = {
      insert: db.prepare<[string, string, string, string]>(
        'INSERT INTO session_entry (id, session_id, type, data) VALUES (?, ?, ?, ?)',
      ),
      taken: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM session_entry WHERE id = ?'),
      get: db.prepare<[string, string], { data: string }>(
        'SELECT data FROM session_entry WHERE session_id = ? AND id = ?',
      ),
      lastOfType: db.prepare<[string, string], { data: string }>(
        'SELECT data FROM session_entry WHERE session_id = ? AND type = ? ORDER BY id DESC LIMIT 1',
      ),
      up: db.prepare<[string, string, number], { data: string }>(
        'SELECT data FROM session_entry WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?',
      ),
      down: db.prepare<[string, string, number], { data: string }>(
        'SELECT data FROM session_entry WHERE session_id = ? AND id < ? ORDER BY id DESC LIMIT ?',
      ),
      deleteFrom: db.prepare<[string, string]>('DELETE FROM session_entry WHERE session_id = ? AND id >= ?'),
    }
  }

  add(sessionID: string, entry: SessionEntry): void {
    this.statements.insert.run(entry.id, sessionID, entry.type, JSON.stringify(entry))
  }

  /** Whether an entry of any session has this id (ids are global). */
  taken(id: string): boolean {
    return this.statements.taken.get(id) !== undefined
  }

  get(sessionID: string, id: string): SessionEntry | undefined {
    const row = this.statements.get.get(sessionID, id)
    return row ? (JSON.parse(row.data) as SessionEntry) : undefined
  }

  /** The `idle` that ended the session's last run. */
  lastIdle(sessionID: string): IdleEntry | undefined {
    const row = this.statements.lastOfType.get(sessionID, 'idle')
    return row ? (JSON.parse(row.data) as IdleEntry) : undefined
  }

  /** Drops the entries at or after `id` (a revert dropped the messages there). */
  deleteFrom(sessionID: string, id: string): void {
    this.statements.deleteFrom.run(sessionID, id)
  }

  /** Up to `limit` entries after `anchor` (ascending ids) or before it (descending), nearest first. */
  from(sessionID: string, anchor: string | undefined, up: boolean, limit: number): SessionEntry[] {
    const rows = up
      ? this.statements.up.all(sessionID, anchor ?? '', limit)
      : this.statements.down.all(sessionID, anchor ?? '\uffff', limit)
    return rows.map((row) => JSON.parse(row.data) as SessionEntry)
  }
}
