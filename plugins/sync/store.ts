import { type Migration, type SqliteDatabase } from '../../sdk/index.js'
import type { SyncEventRow } from './types.js'

export const SYNC_MIGRATIONS: Migration[] = [
  {
    id: '0001-sync-log',
    up: (db) =>
      db.exec(`
        -- One row per session: its newest seq (where the next one comes from) and who owns it.
        CREATE TABLE sync_aggregate (
          aggregate_id TEXT PRIMARY KEY,
          project_id TEXT NOT NULL,
          seq INTEGER NOT NULL,
          owner_id TEXT
        );
        CREATE INDEX sync_aggregate_project ON sync_aggregate (project_id, aggregate_id);
        CREATE TABLE sync_event (
          aggregate_id TEXT NOT NULL,
          seq INTEGER NOT NULL,
          id TEXT NOT NULL UNIQUE,
          type TEXT NOT NULL,
          data TEXT NOT NULL,
          PRIMARY KEY (aggregate_id, seq)
        ) WITHOUT ROWID;
      `),
  },
]

export interface LoggedEvent {
  id: string
  type: string
  data: string
}

/** The per-session event log: each session's events numbered 0, 1, 2 … in the order they happened. */
export class SyncStore {
  private readonly statements

  constructor(readonly db: SqliteDatabase) {
    this.statements = {
      next: db.prepare<[string, string], { seq: number }>(
        'INSERT INTO sync_aggregate (aggregate_id, project_id, seq) VALUES (?, ?, 0) ON CONFLICT (aggregate_id) DO UPDATE SET seq = seq + 1 RETURNING seq',
      ),
      setSeq: db.prepare<[string, string, number]>(
        'INSERT INTO sync_aggregate (aggregate_id, project_id, seq) VALUES (?, ?, ?) ON CONFLICT (aggregate_id) DO UPDATE SET seq = excluded.seq',
      ),
      insert: db.prepare<[string, number, string, string, string]>(
        'INSERT INTO sync_event (aggregate_id, seq, id, type, data) VALUES (?, ?, ?, ?, ?)',
      ),
      latest: db.prepare<[string], { seq: number; project_id: string; owner_id: string | null }>(
        'SELECT seq, project_id, owner_id FROM sync_aggregate WHERE aggregate_id = ?',
      ),
      after: db.prepare<
        [string, number, number],
        { id: string; aggregate_id: string; seq: number; type: string; data: string }
      >(
        'SELECT id, aggregate_id, seq, type, data FROM sync_event WHERE aggregate_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      afterOfType: db.prepare<
        [string, number, string, string, number],
        { id: string; aggregate_id: string; seq: number; type: string; data: string }
      >(
        'SELECT id, aggregate_id, seq, type, data FROM sync_event WHERE aggregate_id = ? AND seq > ? AND type >= ? AND type < ? ORDER BY seq LIMIT ?',
      ),
      aggregates: db.prepare<[string, string, number], { aggregate_id: string; seq: number }>(
        'SELECT aggregate_id, seq FROM sync_aggregate WHERE project_id = ? AND aggregate_id > ? ORDER BY aggregate_id LIMIT ?',
      ),
      prune: db.prepare<[string, number]>('DELETE FROM sync_event WHERE aggregate_id = ? AND seq < ?'),
      claim: db.prepare<[string | null, string]>('UPDATE sync_aggregate SET owner_id = ? WHERE aggregate_id = ?'),
    }
  }

  /** Appends an event with the session's next seq; returns that seq. */
  append(aggregateID: string, projectID: string, event: LoggedEvent): number {
    return this.db.transaction(() => {
      const { seq } = this.statements.next.get(aggregateID, projectID)!
      this.statements.insert.run(aggregateID, seq, event.id, event.type, event.data)
      return seq
    })()
  }

  /** Writes an event under the seq it already has (a replayed history); call inside a transaction. */
  put(aggregateID: string, projectID: string, seq: number, event: LoggedEvent): void {
    this.statements.insert.run(aggregateID, seq, event.id, event.type, event.data)
    this.statements.setSeq.run(aggregateID, projectID, seq)
  }

  /** Keeps only the events from `seq` on (a deleted session keeps its deletion). */
  pruneBefore(aggregateID: string, seq: number): void {
    this.statements.prune.run(aggregateID, seq)
  }

  aggregate(aggregateID: string): { seq: number; projectID: string; ownerID?: string } | undefined {
    const row = this.statements.latest.get(aggregateID)
    return row ? { seq: row.seq, projectID: row.project_id, ownerID: row.owner_id ?? undefined } : undefined
  }

  claim(aggregateID: string, ownerID: string | undefined): void {
    this.statements.claim.run(ownerID ?? null, aggregateID)
  }

  /** Events with `seq > after`, oldest first; only types starting with `prefix` when given. */
  after(aggregateID: string, after: number, limit: number, prefix?: string): SyncEventRow[] {
    const rows = prefix
      ? this.statements.afterOfType.all(aggregateID, after, prefix, `${prefix}\uffff`, limit)
      : this.statements.after.all(aggregateID, after, limit)
    return rows.map((row) => ({ ...row, data: JSON.parse(row.data) as Record<string, unknown> }))
  }

  /** The project's sessions with a log, in id order after `from`, at most `limit`. */
  aggregates(projectID: string, from: string, limit: number): { aggregateID: string; seq: number }[] {
    return this.statements.aggregates
      .all(projectID, from, limit)
      .map((row) => ({ aggregateID: row.aggregate_id, seq: row.seq }))
  }
}
