// The sessions' model histories kept parsed between steps, and kept in step with every write.
import { type SqliteDatabase } from '../../../sdk/index.js'
import type { MessageInfo, MessageWithParts, Part } from '../schemas.js'

/** Sessions whose model history is kept parsed (the most recently read). */
const HISTORY_CACHE_SESSIONS = 16

/**
 * A session's model history (every message from the request the last summary answered on),
 * parsed once and then kept in step with each write, so a step of a long session does not read
 * and parse its whole history again. Messages are replaced, never changed in place: an array
 * handed out earlier stays as it was.
 */
export interface CachedHistory {
  /** The first message id it holds ('' for the whole session). */
  from: string
  messages: MessageWithParts[]
}

/** Binary search by id in an id-ordered list: the index of `id`, or where it would go. */
function position<T>(items: readonly T[], id: string, idOf: (item: T) => string): number {
  let low = 0
  let high = items.length
  // Writes almost always touch the newest entry: check it first.
  if (high > 0 && idOf(items[high - 1]!) <= id) return idOf(items[high - 1]!) === id ? high - 1 : high
  while (low < high) {
    const middle = (low + high) >>> 1
    if (idOf(items[middle]!) < id) low = middle + 1
    else high = middle
  }
  return low
}

const messageId = (message: MessageWithParts) => message.info.id
const partId = (part: Part) => part.id

/** The most recently read histories by session id, at most `HISTORY_CACHE_SESSIONS` of them. */
export class HistoryCache {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly histories: Map<string, CachedHistory>,
  ) {}

  /** The session's history: the cached one, else `load()`'s (cached from now on). A copy of its list. */
  read(sessionID: string, load: () => CachedHistory): MessageWithParts[] {
    let history = this.histories.get(sessionID)
    if (history) {
      // Most recently read last: the first entry is the one to evict.
      this.histories.delete(sessionID)
    } else {
      history = load()
      if (this.histories.size >= HISTORY_CACHE_SESSIONS) this.histories.delete(this.histories.keys().next().value!)
    }
    this.histories.set(sessionID, history)
    return history.messages.slice()
  }

  /** Drops a session's history: it is read again next time. */
  delete(sessionID: string): void {
    this.histories.delete(sessionID)
  }

  clear(): void {
    this.histories.clear()
  }

  /** Drops every history that holds the message (its session is not known). */
  forgetMessage(messageID: string): void {
    for (const [sessionID, history] of this.histories) {
      const at = position(history.messages, messageID, messageId)
      if (history.messages[at]?.info.id === messageID) this.histories.delete(sessionID)
    }
  }

  /** The cached history a write must update; none (and the cache dropped) inside a caller's transaction, which may roll back. */
  private cached(sessionID: string): CachedHistory | undefined {
    const history = this.histories.get(sessionID)
    if (history && this.db.inTransaction) {
      this.histories.delete(sessionID)
      return undefined
    }
    return history
  }

  /** A message was saved as `data`. */
  messageSaved(info: MessageInfo, data: string): void {
    const history = this.cached(info.sessionID)
    if (!history || info.id < history.from) return
    // A summary moves where the history starts: read it again from there.
    if (info.role === 'assistant' && info.summary) {
      this.histories.delete(info.sessionID)
      return
    }
    const { messages } = history
    const at = position(messages, info.id, messageId)
    const existing = messages[at]?.info.id === info.id ? messages[at] : undefined
    const message = { info: JSON.parse(data) as MessageInfo, parts: existing?.parts ?? [] }
    if (existing) messages[at] = message
    else messages.splice(at, 0, message)
  }

  /** A part was saved as `data`. */
  partSaved(part: Part, data: string): void {
    const history = this.cached(part.sessionID)
    if (!history || part.messageID < history.from) return
    const { messages } = history
    const at = position(messages, part.messageID, messageId)
    const message = messages[at]
    if (message?.info.id !== part.messageID) {
      // A part of a message the cache does not know: read the history again.
      this.histories.delete(part.sessionID)
      return
    }
    const parts = message.parts.slice()
    const index = position(parts, part.id, partId)
    const parsed = JSON.parse(data) as Part
    if (parts[index]?.id === part.id) parts[index] = parsed
    else parts.splice(index, 0, parsed)
    messages[at] = { info: message.info, parts }
  }
}
