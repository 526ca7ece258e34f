import { type Migration, type SqliteDatabase } from '../../sdk/index.js'
import type { Workspace } from './schemas.js'

export const WORKSPACE_MIGRATIONS: Migration[] = [
  {
    id: '0001-workspace',
    up: (db) =>
      db.exec(`
        CREATE TABLE workspace (
          id TEXT PRIMARY KEY,
          project_id TEXT NOT NULL,
          directory TEXT,
          data TEXT NOT NULL
        );
        CREATE INDEX workspace_project ON workspace (project_id, id);
      `),
  },
]

/** Workspaces by id; the JSON document is the `Workspace` answered. */
export class WorkspaceStore {
  private readonly statements

  constructor(db: SqliteDatabase) {
    this.statements = {
      get: db.prepare<[string], { data: string }>('SELECT data FROM workspace WHERE id = ?'),
      list: db.prepare<[string], { data: string }>('SELECT data FROM workspace WHERE project_id = ? ORDER BY id'),
      save: db.prepare<[string, string, string | null, string]>(
        'INSERT INTO workspace (id, project_id, directory, data) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET directory = excluded.directory, data = excluded.data',
      ),
      remove: db.prepare<[string]>('DELETE FROM workspace WHERE id = ?'),
    }
  }

  get(id: string): Workspace | undefined {
    const row = this.statements.get.get(id)
    return row ? (JSON.parse(row.data) as Workspace) : undefined
  }

  list(projectID: string): Workspace[] {
    return this.statements.list.all(projectID).map((row) => JSON.parse(row.data) as Workspace)
  }

  save(workspace: Workspace): void {
    this.statements.save.run(workspace.id, workspace.projectID, workspace.directory, JSON.stringify(workspace))
  }

  remove(id: string): void {
    this.statements.remove.run(id)
  }
}
