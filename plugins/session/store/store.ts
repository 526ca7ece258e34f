import { type SqliteDatabase } from '../../../sdk/index.js'
import type { MessageInfo, MessageWithParts, Part, SessionInfo } from '../schemas.js'
import { HistoryCache, type CachedHistory } from './history-cache.js'
import { SessionEntries, type SessionEntry } from './entries.js'

/** `GET /experimental/session`: sessions of every project. */
export interface GlobalSessionFilter {
  roots?: boolean
  /** Updated at or after. */
  start?: number
  /** Updated before (the previous page's `x-next-cursor`). */
  cursor?: number
  search?: string
  /** Archived sessions too. */
  archived?: boolean
  limit: number
}

export interface SessionFilter {
  projectID: string
  directory?: string
  roots?: boolean
  start?: number
  search?: string
  limit: number
}

/** What session lists filter on (every project's sessions when `projectID` is absent). */
export type SessionConditions = Omit<SessionFilter, 'projectID' | 'start' | 'limit'> & {
  projectID?: string
  /** Children of this session only. */
  parentID?: string
  /** Only archived sessions (true) or only the others (false). */
  archived?: boolean
}

function sessionConditions(filter: SessionConditions): { where: string[]; args: unknown[] } {
  const where: string[] = []
  const args: unknown[] = []
  if (filter.projectID !== undefined) {
    where.push('project_id = ?')
    args.push(filter.projectID)
  }
  if (filter.directory !== undefined) {
    where.push('directory = ?')
    args.push(filter.directory)
  }
  if (filter.roots) where.push('parent_id IS NULL')
  if (filter.parentID !== undefined) {
    where.push('parent_id = ?')
    args.push(filter.parentID)
  }
  if (filter.archived !== undefined)
    where.push(`json_extract(data, '$.time.archived') IS ${filter.archived ? 'NOT NULL' : 'NULL'}`)
  if (filter.search) {
    where.push("title LIKE ? ESCAPE '\\'")
    args.push(`%${filter.search.replace(/[\\%_]/g, (c) => '\\' + c)}%`)
  }
  return { where, args }
}

/** A message as stored: its info and parts as JSON text. */
export interface RawMessage {
  id: string
  info: string
  parts: string[]
}

/** `[{info, parts}]` JSON from stored documents, without parsing them. */
export function messagesJson(messages: RawMessage[]): string {
  return '[' + messages.map((m) => `{"info":${m.info},"parts":[${m.parts.join(',')}]}`).join(',') + ']'
}

/** A page of messages, oldest first, and the cursor for the page before it. */
export interface MessagePage {
  messages: MessageWithParts[]
  next?: string
}

function isActive(part: Part): number {
  return part.type === 'tool' && (part.state.status === 'pending' || part.state.status === 'running') ? 1 : 0
}

/** Bounds of the list body caches: entries, and the largest body kept (bytes). */
const LIST_CACHE_ENTRIES = 32
const LIST_CACHE_MAX_BODY = 256 * 1024
/** Sessions, messages and parts in SQLite; JSON documents beside the columns queries need. */
export class SessionStore {
  /** OpenCode 2.1's transcript entries beside the messages (`idle`, switches). */
  readonly entries: SessionEntries
  private readonly statements
  private readonly histories: HistoryCache
  private readonly listStatements = new Map<string, { all(...args: unknown[]): unknown[] }>()
  /** Session list bodies by filter, encoded once (not per response); cleared on every session write. */
  private readonly listCache = new Map<string, Buffer>()
  /** `GET /session/:id/message` bodies by session, encoded; dropped on each write to its messages or parts. */
  private readonly messageBodies = new Map<string, Buffer>()

  /**
   * `histories` may be shared by the stores of successive plugin versions (dev mode reloads),
   * so writes by turns still running in the old code keep the new store's histories current.
   */
  constructor(
    private readonly db: SqliteDatabase,
    histories = new Map<string, CachedHistory>(),
  ) {
    this.histories = new HistoryCache(db, histories)
    this.entries = new SessionEntries(db)
    this.statements = {
      insertSession: db.prepare(
        'INSERT INTO session (id, project_id, parent_id, directory, title, time_updated, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      updateSession: db.prepare('UPDATE session SET title = ?, time_updated = ?, directory = ?, data = ? WHERE id = ?'),
      getSession: db.prepare<[string], { data: string }>('SELECT data FROM session WHERE id = ?'),
      children: db.prepare<[string], { data: string }>('SELECT data FROM session WHERE parent_id = ? ORDER BY id DESC'),
      childIds: db.prepare<[string], { id: string }>('SELECT id FROM session WHERE parent_id = ?'),
      deleteSession: db.prepare('DELETE FROM session WHERE id = ?'),
      deleteParts: db.prepare('DELETE FROM part WHERE session_id = ?'),
      upsertMessage: db.prepare(
        'INSERT INTO message (id, session_id, active, data) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET active = excluded.active, data = excluded.data',
      ),
      getMessage: db.prepare<[string, string], { data: string }>(
        'SELECT data FROM message WHERE id = ? AND session_id = ?',
      ),
      messageTaken: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM message WHERE id = ?'),
      deleteMessage: db.prepare('DELETE FROM message WHERE id = ? AND session_id = ?'),
      allMessages: db.prepare<[string, string], { id: string; data: string }>(
        'SELECT id, data FROM message WHERE session_id = ? AND id >= ? ORDER BY id',
      ),
      lastSummary: db.prepare<[string], { parent: string }>(
        "SELECT json_extract(data, '$.parentID') AS parent FROM message WHERE session_id = ? AND json_extract(data, '$.summary') = 1 AND json_extract(data, '$.time.completed') IS NOT NULL AND json_extract(data, '$.error') IS NULL ORDER BY id DESC LIMIT 1",
      ),
      latestMessages: db.prepare<[string, string, number], { id: string; data: string }>(
        'SELECT id, data FROM message WHERE session_id = ? AND id < ? ORDER BY id DESC LIMIT ?',
      ),
      laterMessages: db.prepare<[string, string, number], { id: string; data: string }>(
        'SELECT id, data FROM message WHERE session_id = ? AND id > ? ORDER BY id ASC LIMIT ?',
      ),
      upsertPart: db.prepare(
        'INSERT INTO part (id, message_id, session_id, active, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET active = excluded.active, data = excluded.data',
      ),
      getPart: db.prepare<[string, string], { data: string }>('SELECT data FROM part WHERE id = ? AND message_id = ?'),
      deletePart: db.prepare('DELETE FROM part WHERE id = ? AND message_id = ?'),
      partsOf: db.prepare<[string], { data: string }>('SELECT data FROM part WHERE message_id = ? ORDER BY id'),
      partsBetween: db.prepare<[string, string, string], { message_id: string; data: string }>(
        'SELECT message_id, data FROM part WHERE message_id IN (SELECT id FROM message WHERE session_id = ? AND id >= ? AND id <= ?) ORDER BY message_id, id',
      ),
      activeParts: db.prepare<[], { data: string }>('SELECT data FROM part WHERE active = 1'),
      activeMessages: db.prepare<[], { data: string }>('SELECT data FROM message WHERE active = 1'),
      activePartsIn: db.prepare<[string], { data: string }>(
        'SELECT part.data FROM part JOIN session ON session.id = part.session_id WHERE part.active = 1 AND session.directory = ?',
      ),
      activeMessagesIn: db.prepare<[string], { data: string }>(
        'SELECT message.data FROM message JOIN session ON session.id = message.session_id WHERE message.active = 1 AND session.directory = ?',
      ),
    }
  }

  /** Drops every cached body and history: another server of the cluster changed the rows. */
  forgetCaches(): void {
    this.listCache.clear()
    this.messageBodies.clear()
    this.histories.clear()
  }

  createSession(info: SessionInfo): void {
    this.listCache.clear()
    this.statements.insertSession.run(
      info.id,
      info.projectID,
      info.parentID ?? null,
      info.directory,
      info.title,
      info.time.updated,
      JSON.stringify(info),
    )
  }

  /** A whole session at once (an import), in one transaction: all of it is stored or none. */
  importSession(info: SessionInfo, messages: MessageWithParts[], entries: SessionEntry[]): void {
    this.db.transaction(() => {
      this.createSession(info)
      for (const message of messages) {
        this.saveMessage(message.info)
        this.saveParts(message.parts)
      }
      for (const entry of entries) this.entries.add(info.id, entry)
    })()
  }

  saveSession(info: SessionInfo): void {
    this.listCache.clear()
    this.statements.updateSession.run(info.title, info.time.updated, info.directory, JSON.stringify(info), info.id)
  }

  getSession(id: string): SessionInfo | undefined {
    const row = this.statements.getSession.get(id)
    return row ? (JSON.parse(row.data) as SessionInfo) : undefined
  }

  /**
   * `GET /session`'s body: the stored JSON of the matching sessions as one array, kept until a
   * session is created, saved or deleted (clients poll this list).
   */
  listSessionsBody(filter: SessionFilter): Buffer {
    const key = JSON.stringify(filter)
    const cached = this.listCache.get(key)
    if (cached !== undefined) return cached
    const body = Buffer.from(`[${this.listSessionsJson(filter).join(',')}]`)
    if (body.length <= LIST_CACHE_MAX_BODY) {
      if (this.listCache.size >= LIST_CACHE_ENTRIES) this.listCache.delete(this.listCache.keys().next().value!)
      this.listCache.set(key, body)
    }
    return body
  }

  /** The stored JSON of the matching sessions: list routes send it as is, without re-serialising. */
  listSessionsJson(filter: SessionFilter): string[] {
    const { where, args } = sessionConditions(filter)
    if (filter.start !== undefined) {
      where.push('time_updated >= ?')
      args.push(filter.start)
    }
    args.push(filter.limit)
    return this.sessionRows(
      `SELECT data FROM session WHERE ${where.join(' AND ')} ORDER BY time_updated DESC, id LIMIT ?`,
      args,
    )
  }

  private sessionRows(sql: string, args: unknown[]): string[] {
    return (this.statement(sql).all(...args) as { data: string }[]).map((row) => row.data)
  }

  /** A list query's prepared statement, made once per distinct SQL (the filters give a handful). */
  private statement(sql: string): { all(...args: unknown[]): unknown[] } {
    let statement = this.listStatements.get(sql)
    if (!statement) this.listStatements.set(sql, (statement = this.db.prepare(sql)))
    return statement
  }

  /** Every project's sessions, most recently updated first: stored JSON, its project id and update time. */
  listGlobalSessions(filter: GlobalSessionFilter): { data: string; projectID: string; updated: number }[] {
    const { where, args } = sessionConditions({ roots: filter.roots, search: filter.search })
    if (filter.start !== undefined) {
      where.push('time_updated >= ?')
      args.push(filter.start)
    }
    if (filter.cursor !== undefined) {
      where.push('time_updated < ?')
      args.push(filter.cursor)
    }
    if (!filter.archived) where.push("json_extract(data, '$.time.archived') IS NULL")
    args.push(filter.limit)
    // Ties (sessions updated in the same millisecond) newest first: session ids descend with time.
    const sql = `SELECT data, project_id AS projectID, time_updated AS updated FROM session${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY time_updated DESC, id LIMIT ?`
    return this.statement(sql).all(...args) as { data: string; projectID: string; updated: number }[]
  }

  listSessions(filter: SessionFilter): SessionInfo[] {
    return this.listSessionsJson(filter).map((data) => JSON.parse(data) as SessionInfo)
  }

  children(id: string): SessionInfo[] {
    return this.statements.children.all(id).map((row) => JSON.parse(row.data) as SessionInfo)
  }

  /** The session and all its descendants, deepest first (the order to delete them in). */
  descendants(id: string): string[] {
    const out: string[] = []
    const visit = (current: string) => {
      for (const child of this.statements.childIds.all(current)) visit(child.id)
      out.push(current)
    }
    visit(id)
    return out
  }

  deleteSessions(ids: string[]): void {
    this.listCache.clear()
    for (const id of ids) {
      this.histories.delete(id)
      this.messageBodies.delete(id)
    }
    this.db.transaction(() => {
      for (const id of ids) {
        this.statements.deleteParts.run(id)
        this.statements.deleteSession.run(id)
      }
    })()
  }

  saveMessage(info: MessageInfo): void {
    const data = JSON.stringify(info)
    this.messageBodies.delete(info.sessionID)
    this.statements.upsertMessage.run(
      info.id,
      info.sessionID,
      info.role === 'assistant' && !info.time.completed ? 1 : 0,
      data,
    )
    this.histories.messageSaved(info, data)
  }

  getMessage(sessionID: string, messageID: string): MessageWithParts | undefined {
    const row = this.statements.getMessage.get(messageID, sessionID)
    if (!row) return undefined
    return {
      info: JSON.parse(row.data) as MessageInfo,
      parts: this.statements.partsOf.all(messageID).map((part) => JSON.parse(part.data) as Part),
    }
  }

  /** Whether a message of any session has this id (ids are unique across sessions). */
  hasMessageID(messageID: string): boolean {
    return this.statements.messageTaken.get(messageID) !== undefined
  }

  deleteMessage(sessionID: string, messageID: string): boolean {
    // Rare (reverts, edits): the history is read again rather than patched.
    this.histories.delete(sessionID)
    this.messageBodies.delete(sessionID)
    return this.statements.deleteMessage.run(messageID, sessionID).changes > 0
  }

  /** Every message of a session (from message id `from` on) with its parts, oldest first (the model's context). */
  allMessages(sessionID: string, from?: string): MessageWithParts[] {
    return this.toMessages(this.allMessagesJson(sessionID, from))
  }

  /**
   * `GET /session/:id/message`'s body: every message with its parts as stored JSON, kept until the
   * session's messages or parts change (clients read it whole on opening a session).
   */
  allMessagesBody(sessionID: string): Buffer {
    const cached = this.messageBodies.get(sessionID)
    if (cached !== undefined) return cached
    const body = Buffer.from(messagesJson(this.allMessagesJson(sessionID)))
    if (body.length <= LIST_CACHE_MAX_BODY) {
      if (this.messageBodies.size >= LIST_CACHE_ENTRIES)
        this.messageBodies.delete(this.messageBodies.keys().next().value!)
      this.messageBodies.set(sessionID, body)
    }
    return body
  }

  /** The user message the newest finished summary answered (where the model's history starts). */
  lastSummaryRequest(sessionID: string): string | undefined {
    return this.statements.lastSummary.get(sessionID)?.parent ?? undefined
  }

  /** The newest `limit` messages before `before` (a message id), returned oldest first. */
  page(sessionID: string, limit: number, before?: string): MessagePage {
    const page = this.pageJson(sessionID, limit, before)
    return { messages: this.toMessages(page.messages), next: page.next }
  }

  /** `allMessages` as stored JSON: `{info, parts}` strings built without parsing. */
  allMessagesJson(sessionID: string, from = ''): RawMessage[] {
    const rows = this.statements.allMessages
      .all(sessionID, from)
      .map((row) => ({ id: (row as { id: string }).id, info: row.data }))
    return this.attachRawParts(sessionID, rows)
  }

  pageJson(sessionID: string, limit: number, before?: string): { messages: RawMessage[]; next?: string } {
    const rows = this.statements.latestMessages.all(sessionID, before ?? '\uffff', limit + 1)
    const more = rows.length > limit
    const kept = rows
      .slice(0, limit)
      .reverse()
      .map((row) => ({ id: row.id, info: row.data }))
    return { messages: this.attachRawParts(sessionID, kept), next: more && kept[0] ? kept[0].id : undefined }
  }

  private attachRawParts(sessionID: string, rows: { id: string; info: string }[]): RawMessage[] {
    if (rows.length === 0) return []
    const byMessage = new Map<string, string[]>(rows.map((row) => [row.id, []]))
    for (const part of this.statements.partsBetween.all(sessionID, rows[0]!.id, rows.at(-1)!.id))
      byMessage.get(part.message_id)?.push(part.data)
    return rows.map((row) => ({ id: row.id, info: row.info, parts: byMessage.get(row.id) ?? [] }))
  }

  private toMessages(raw: RawMessage[]): MessageWithParts[] {
    return raw.map((message) => ({
      info: JSON.parse(message.info) as MessageInfo,
      parts: message.parts.map((part) => JSON.parse(part) as Part),
    }))
  }

  savePart(part: Part): void {
    const data = JSON.stringify(part)
    this.messageBodies.delete(part.sessionID)
    this.statements.upsertPart.run(part.id, part.messageID, part.sessionID, isActive(part), data)
    this.histories.partSaved(part, data)
  }

  /** Writes many parts in one transaction (the coalesced streaming writes). */
  saveParts(parts: Iterable<Part>): void {
    const written: [Part, string][] = []
    this.db.transaction(() => {
      for (const part of parts) {
        const data = JSON.stringify(part)
        this.messageBodies.delete(part.sessionID)
        this.statements.upsertPart.run(part.id, part.messageID, part.sessionID, isActive(part), data)
        written.push([part, data])
      }
    })()
    for (const [part, data] of written) this.histories.partSaved(part, data)
  }

  getPart(messageID: string, partID: string): Part | undefined {
    const row = this.statements.getPart.get(partID, messageID)
    return row ? (JSON.parse(row.data) as Part) : undefined
  }

  deletePart(messageID: string, partID: string): boolean {
    // Its session is not known here, and deleting a part is rare.
    this.messageBodies.clear()
    this.histories.forgetMessage(messageID)
    return this.statements.deletePart.run(partID, messageID).changes > 0
  }

  /**
   * The model's history: every message from the request the newest finished summary answered
   * on, with its parts, oldest first. Kept parsed between calls (see `CachedHistory`): callers
   * must not change the messages or parts (clone what you change; save it to store it).
   */
  history(sessionID: string): MessageWithParts[] {
    return this.histories.read(sessionID, () => {
      const from = this.lastSummaryRequest(sessionID) ?? ''
      return { from, messages: this.allMessages(sessionID, from) }
    })
  }

  /** Assistant messages left unfinished (by a crash). */
  activeMessages(directory?: string): MessageInfo[] {
    const rows =
      directory === undefined ? this.statements.activeMessages.all() : this.statements.activeMessagesIn.all(directory)
    return rows.map((row) => JSON.parse(row.data) as MessageInfo)
  }

  /** Tool parts left pending or running (by a crash); of the sessions in `directory` if given. */
  activeParts(directory?: string): Part[] {
    const rows =
      directory === undefined ? this.statements.activeParts.all() : this.statements.activePartsIn.all(directory)
    return rows.map((row) => JSON.parse(row.data) as Part)
  }

  /**
   * Up to `limit` messages of a session beyond the message id `anchor` (exclusive; none: from the
   * end) walking toward higher ids (`up`) or lower ones, with their parts, in walking order.
   */
  messagesFrom(sessionID: string, anchor: string | undefined, up: boolean, limit: number): MessageWithParts[] {
    const rows = up
      ? this.statements.laterMessages.all(sessionID, anchor ?? '', limit)
      : this.statements.latestMessages.all(sessionID, anchor ?? '\uffff', limit)
    const ascending = up ? rows : [...rows].reverse()
    const messages = this.toMessages(
      this.attachRawParts(
        sessionID,
        ascending.map((row) => ({ id: row.id, info: row.data })),
      ),
    )
    return up ? messages : messages.reverse()
  }

  /**
   * Sessions of every project (or the filter's), walking from the session id `anchor` (exclusive)
   * toward higher ids (`up`: older sessions, since session ids descend) or lower ones.
   */
  sessionsFrom(filter: SessionConditions, anchor: string | undefined, up: boolean, limit: number): SessionInfo[] {
    const { where, args } = sessionConditions(filter)
    if (anchor !== undefined) {
      where.push(up ? 'id > ?' : 'id < ?')
      args.push(anchor)
    }
    args.push(limit)
    const sql = `SELECT data FROM session ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${up ? 'ASC' : 'DESC'} LIMIT ?`
    return this.sessionRows(sql, args).map((data) => JSON.parse(data) as SessionInfo)
  }
}
