// The session plugin's tables: sessions, messages and parts as JSON documents beside the columns
// queries need, and the v2 inputs waiting to join.
import { type Migration } from '../../../sdk/index.js'

export const SESSION_MIGRATIONS: Migration[] = [
  {
    id: '0001-sessions-messages-parts',
    up: (db) =>
      db.exec(`
        CREATE TABLE session (
          id TEXT PRIMARY KEY,
          project_id TEXT NOT NULL,
          parent_id TEXT,
          directory TEXT NOT NULL,
          title TEXT NOT NULL,
          time_updated INTEGER NOT NULL,
          data TEXT NOT NULL
        );
        CREATE INDEX session_project_updated ON session (project_id, time_updated DESC);
        CREATE INDEX session_directory_updated ON session (project_id, directory, time_updated DESC);
        CREATE INDEX session_parent ON session (parent_id);
        CREATE TABLE message (
          id TEXT PRIMARY KEY,
          session_id TEXT NOT NULL REFERENCES session (id) ON DELETE CASCADE,
          -- 1 while an assistant message is being written (no time.completed yet).
          active INTEGER NOT NULL DEFAULT 0,
          data TEXT NOT NULL
        );
        CREATE INDEX message_session ON message (session_id, id);
        CREATE INDEX message_active ON message (active) WHERE active = 1;
        CREATE TABLE part (
          id TEXT PRIMARY KEY,
          message_id TEXT NOT NULL REFERENCES message (id) ON DELETE CASCADE,
          session_id TEXT NOT NULL,
          -- 1 while a tool part is pending or running: found again after a crash without a scan.
          active INTEGER NOT NULL DEFAULT 0,
          data TEXT NOT NULL
        );
        CREATE INDEX part_message ON part (message_id, id);
        CREATE INDEX part_active ON part (active) WHERE active = 1;
      `),
  },
  {
    // Finding where the model's history starts (the last summary) stays cheap in long sessions.
    id: '0002-summary-index',
    up: (db) =>
      db.exec("CREATE INDEX message_summary ON message (session_id, id) WHERE json_extract(data, '$.summary') = 1"),
  },
  {
    // `GET /experimental/session` lists every project's sessions, newest first, a page at a time.
    id: '0003-session-updated-index',
    up: (db) => db.exec('CREATE INDEX session_updated ON session (time_updated DESC)'),
  },
  {
    // v2 inputs are admitted (durably) before they join the conversation; pending ones wait here.
    id: '0004-session-input',
    up: (db) =>
      db.exec(`
        CREATE TABLE session_input (
          -- Admission order.
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          id TEXT NOT NULL UNIQUE,
          session_id TEXT NOT NULL REFERENCES session (id) ON DELETE CASCADE,
          data TEXT NOT NULL,
          time_created INTEGER NOT NULL,
          admitted_seq INTEGER NOT NULL,
          promoted_seq INTEGER,
          -- 1 until the input has joined the conversation.
          pending INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX session_input_pending ON session_input (session_id, seq) WHERE pending = 1;
      `),
  },
  {
    // OpenCode 2.1's transcript entries that are not v1 messages (the \`idle\` that ends each run,
    // agent and model switches): beside the messages, merged with them by id in 2.1's views only.
    id: '0005-session-entry',
    up: (db) =>
      db.exec(`
        CREATE TABLE session_entry (
          id TEXT PRIMARY KEY,
          session_id TEXT NOT NULL REFERENCES session (id) ON DELETE CASCADE,
          type TEXT NOT NULL,
          data TEXT NOT NULL
        );
        CREATE INDEX session_entry_session ON session_entry (session_id, id);
        CREATE INDEX session_entry_type ON session_entry (session_id, type, id);
      `),
  },
  {
    // When a client last saw a session's run end (2.1's `time.viewed`): kept out of the stored
    // session JSON, which v1's lists send as it is (1.18's `time` has no such field).
    id: '0006-session-viewed',
    up: (db) =>
      db.exec(`
        CREATE TABLE session_viewed (
          session_id TEXT PRIMARY KEY REFERENCES session (id) ON DELETE CASCADE,
          viewed INTEGER NOT NULL
        );
      `),
  },
  {
    // 2.1's usage stats read the messages of a time range (and the oldest one) without a scan of
    // every message: message ids encode only the time modulo 2^36 ms, and imports keep old times.
    id: '0007-message-created-index',
    up: (db) => db.exec("CREATE INDEX message_created ON message (json_extract(data, '$.time.created'))"),
  },
  {
    // v2 inputs keyed by their id: the old key, a counter each server allocated on its own, let
    // two servers of a cluster admitting inputs at once overwrite each other's rows. `seq` stays
    // the admission order within a session (one server admits a session's inputs at a time).
    id: '0008-session-input-by-id',
    up: (db) =>
      db.exec(`
        CREATE TABLE session_input_by_id (
          id TEXT PRIMARY KEY,
          seq INTEGER NOT NULL,
          session_id TEXT NOT NULL REFERENCES session (id) ON DELETE CASCADE,
          data TEXT NOT NULL,
          time_created INTEGER NOT NULL,
          admitted_seq INTEGER NOT NULL,
          promoted_seq INTEGER,
          pending INTEGER NOT NULL DEFAULT 1
        );
        INSERT INTO session_input_by_id (id, seq, session_id, data, time_created, admitted_seq, promoted_seq, pending)
          SELECT id, seq, session_id, data, time_created, admitted_seq, promoted_seq, pending FROM session_input;
        DROP TABLE session_input;
        ALTER TABLE session_input_by_id RENAME TO session_input;
        CREATE INDEX session_input_pending ON session_input (session_id, seq) WHERE pending = 1;
      `),
  },
]
