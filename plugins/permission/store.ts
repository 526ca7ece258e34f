import type { Static } from 'typebox'
import { type Migration, type SqliteDatabase } from '../../sdk/index.js'
import { SAVED_MIGRATION } from './saved-store.js'
import type { PermissionRequest } from './schemas.js'

export type PermissionRequestInfo = Static<typeof PermissionRequest>

export const PERMISSION_MIGRATIONS: Migration[] = [
  {
    id: '0001-requests-approvals',
    up: (db) =>
      db.exec(`
        CREATE TABLE permission_request (
          id TEXT PRIMARY KEY,
          directory TEXT NOT NULL,
          session_id TEXT NOT NULL,
          call_id TEXT,
          data TEXT NOT NULL
        );
        CREATE INDEX permission_request_directory ON permission_request (directory, id);
        CREATE INDEX permission_request_call ON permission_request (session_id, call_id);
        CREATE TABLE permission_approval (
          project TEXT NOT NULL,
          permission TEXT NOT NULL,
          pattern TEXT NOT NULL,
          time_created INTEGER NOT NULL,
          PRIMARY KEY (project, permission, pattern)
        );
      `),
  },
  SAVED_MIGRATION,
]

/** Pending requests, stored so they outlive a restart. */
export class PermissionStore {
  private readonly statements

  constructor(db: SqliteDatabase) {
    this.statements = {
      insert: db.prepare<[string, string, string, string | null, string]>(
        'INSERT INTO permission_request (id, directory, session_id, call_id, data) VALUES (?, ?, ?, ?, ?)',
      ),
      get: db.prepare<[string], { directory: string; data: string }>(
        'SELECT directory, data FROM permission_request WHERE id = ?',
      ),
      list: db.prepare<[string], { data: string }>(
        'SELECT data FROM permission_request WHERE directory = ? ORDER BY id',
      ),
      bySession: db.prepare<[string], { directory: string; data: string }>(
        'SELECT directory, data FROM permission_request WHERE session_id = ? ORDER BY id',
      ),
      byCall: db.prepare<[string, string], { id: string; directory: string; data: string }>(
        'SELECT id, directory, data FROM permission_request WHERE session_id = ? AND call_id = ?',
      ),
      all: db.prepare<[], { id: string; session_id: string; call_id: string | null }>(
        'SELECT id, session_id, call_id FROM permission_request',
      ),
      allIn: db.prepare<[string], { id: string; session_id: string; call_id: string | null }>(
        'SELECT id, session_id, call_id FROM permission_request WHERE directory = ?',
      ),
      remove: db.prepare<[string]>('DELETE FROM permission_request WHERE id = ?'),
    }
  }

  insert(directory: string, request: PermissionRequestInfo): void {
    this.statements.insert.run(
      request.id,
      directory,
      request.sessionID,
      request.tool?.callID ?? null,
      JSON.stringify(request),
    )
  }

  get(id: string): { directory: string; request: PermissionRequestInfo } | undefined {
    const row = this.statements.get.get(id)
    return row && { directory: row.directory, request: JSON.parse(row.data) as PermissionRequestInfo }
  }

  list(directory: string): PermissionRequestInfo[] {
    return this.statements.list.all(directory).map((row) => JSON.parse(row.data) as PermissionRequestInfo)
  }

  bySession(sessionID: string): PermissionRequestInfo[] {
    return this.statements.bySession.all(sessionID).map((row) => JSON.parse(row.data) as PermissionRequestInfo)
  }

  byCall(sessionID: string, callID: string): { directory: string; request: PermissionRequestInfo }[] {
    return this.statements.byCall
      .all(sessionID, callID)
      .map((row) => ({ directory: row.directory, request: JSON.parse(row.data) as PermissionRequestInfo }))
  }

  /** Every stored request; those of one instance directory if given. */
  all(directory?: string): { id: string; sessionID: string; callID?: string }[] {
    return (directory === undefined ? this.statements.all.all() : this.statements.allIn.all(directory)).map((row) => ({
      id: row.id,
      sessionID: row.session_id,
      ...(row.call_id ? { callID: row.call_id } : {}),
    }))
  }

  remove(id: string): boolean {
    return this.statements.remove.run(id).changes > 0
  }
}
