import type { Static } from 'typebox'
import { type Migration, type SqliteDatabase } from '../../sdk/index.js'
import type { Todo } from './schemas.js'

export type TodoItem = Static<typeof Todo>

export const TODO_MIGRATIONS: Migration[] = [
  {
    id: '0001-todo',
    up: (db) =>
      db.exec('CREATE TABLE todo (session_id TEXT PRIMARY KEY, time_updated INTEGER NOT NULL, data TEXT NOT NULL)'),
  },
]

/** One todo list per session, replaced whole by each `todowrite`. */
export class TodoStore {
  private readonly statements

  constructor(db: SqliteDatabase) {
    this.statements = {
      get: db.prepare<[string], { data: string }>('SELECT data FROM todo WHERE session_id = ?'),
      set: db.prepare<[string, number, string]>(
        'INSERT INTO todo (session_id, time_updated, data) VALUES (?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET time_updated = excluded.time_updated, data = excluded.data',
      ),
      remove: db.prepare<[string]>('DELETE FROM todo WHERE session_id = ?'),
    }
  }

  get(sessionID: string): TodoItem[] {
    const row = this.statements.get.get(sessionID)
    return row ? (JSON.parse(row.data) as TodoItem[]) : []
  }

  set(sessionID: string, todos: TodoItem[]): void {
    this.statements.set.run(sessionID, Date.now(), JSON.stringify(todos))
  }

  remove(sessionID: string): void {
    this.statements.remove.run(sessionID)
  }
}
