import type { SyncKernel } from './index.js'
import AjvCompiler from '@fastify/ajv-compiler'
import type { FastifyInstance } from 'fastify'
import {
  ascendingId,
  definedEvents,
  durableVersion,
  isLiveOnlyEvent,
  type BusEvent,
  type EventDefinition,
  type Instance,
} from '../../sdk/index.js'
import { SyncRequestError } from './errors.js'
import { HISTORY_LIMIT, type SyncHistoryInput, type SyncReplayInput } from './schemas.js'
import type { SyncStore } from './store.js'
import { SyncProjectors, type SyncEventRow, type SyncProjector } from './types.js'

/** Only version 1 of each event exists so far; the log names it so that later shapes can differ. */
const VERSION = 1
/** Durable v2 events: logged, and carried by a replay without a projector (as OpenCode does). */
const NEXT_PREFIX = 'session.next.'
/** How many sessions `hasLog` remembers before it starts again. */
const KNOWN_LOGS = 10_000
/** The most messages a backfilled log carries (the newest). */
const BACKFILL_MESSAGES = 100_000

type Validator = ((data: unknown) => boolean) & { errors?: { instancePath?: string; message?: string }[] | null }

/**
 * The per-session event log. Every event that describes a session's state (the session, its
 * messages and parts, its todo list, `session.next.*`) is appended from the bus with the
 * session's next seq; a history read from one server can be replayed into another.
 */
export class SyncService {
  /** Set while replayed events are published again: they are logged already. */
  private replaying = false
  private projectorCache: { source: SyncProjector[]; byType: Map<string, SyncProjector> } | undefined
  private validators = new Map<string, Validator | null>()
  private compile: ((route: unknown) => Validator) | undefined
  /** Sessions known to have a log (bounded; a miss asks the database). */
  private readonly logged = new Set<string>()
  private readonly followers = new Map<string, Set<(row: SyncEventRow) => void>>()

  constructor(
    private readonly app: FastifyInstance,
    private readonly kernel: SyncKernel,
    private readonly store: SyncStore,
  ) {}

  private projectors(): Map<string, SyncProjector> {
    const source = this.kernel.extensions.get(SyncProjectors)
    if (
      this.projectorCache?.source.length !== source.length ||
      this.projectorCache.source.some((p, i) => p !== source[i])
    ) {
      const byType = new Map<string, SyncProjector>()
      for (const projector of source) for (const type of projector.types) byType.set(type, projector)
      this.projectorCache = { source, byType }
    }
    return this.projectorCache.byType
  }

  private isDurable(type: string): boolean {
    // v2 deltas (`session.next.text.delta` …) are live only, as in OpenCode.
    return (type.startsWith(NEXT_PREFIX) && !isLiveOnlyEvent(type)) || this.projectors().has(type)
  }

  /** The bus listener: appends durable session events to their session's log. */
  record(event: BusEvent): void {
    if (this.replaying) return
    const type = event.payload.type
    if (!this.isDurable(type)) return
    const aggregateID = event.payload.properties.sessionID
    if (typeof aggregateID !== 'string') return
    const projectID = event.project ?? 'global'
    if (type !== 'session.created' && !this.hasLog(aggregateID)) this.backfill(aggregateID, projectID)
    const row = { id: event.payload.id, type: `${type}.${VERSION}`, data: JSON.stringify(event.payload.properties) }
    const seq = this.store.append(aggregateID, projectID, row)
    this.remember(aggregateID)
    event.durable = { aggregateID, seq, version: durableVersion(type) }
    // A deleted session's log shrinks to its deletion, so logs do not outlive their sessions.
    if (type === 'session.deleted') this.store.pruneBefore(aggregateID, seq)
    this.notify(aggregateID, {
      id: row.id,
      aggregate_id: aggregateID,
      seq,
      type: row.type,
      data: event.payload.properties,
    })
  }

  /** Whether the session has a log; the answer is kept for the most recently seen sessions. */
  private hasLog(aggregateID: string): boolean {
    if (this.logged.has(aggregateID)) return true
    if (!this.store.aggregate(aggregateID)) return false
    this.remember(aggregateID)
    return true
  }

  private remember(aggregateID: string): void {
    if (this.logged.has(aggregateID)) return
    if (this.logged.size >= KNOWN_LOGS) this.logged.clear()
    this.logged.add(aggregateID)
  }

  /**
   * A session that existed before this log did (a server upgraded with sessions in its database)
   * starts its log with what it is now: `session.created`, then each message and part as
   * updated, so its history is complete and can be replayed elsewhere. Once per session.
   */
  private backfill(aggregateID: string, projectID: string): void {
    const info = this.app.sessions.find(aggregateID)
    if (!info) return
    const append = (type: string, data: Record<string, unknown>) =>
      this.store.append(aggregateID, projectID, {
        id: ascendingId('evt'),
        type: `${type}.${VERSION}`,
        data: JSON.stringify(data),
      })
    this.store.db.transaction(() => {
      append('session.created', { sessionID: aggregateID, info })
      for (const message of this.app.sessions.messages(aggregateID, BACKFILL_MESSAGES)) {
        append('message.updated', { sessionID: aggregateID, info: message.info })
        for (const part of message.parts)
          append('message.part.updated', { sessionID: aggregateID, part, time: Date.now() })
      }
    })()
  }

  follow(aggregateID: string, listener: (row: SyncEventRow) => void): () => void {
    let set = this.followers.get(aggregateID)
    if (!set) this.followers.set(aggregateID, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0 && this.followers.get(aggregateID) === set) this.followers.delete(aggregateID)
    }
  }

  private notify(aggregateID: string, row: SyncEventRow): void {
    const set = this.followers.get(aggregateID)
    if (!set) return
    for (const listener of set) {
      try {
        listener(row)
      } catch (error) {
        this.kernel.log.error({ err: error, sessionID: aggregateID }, 'sync log follower failed')
      }
    }
  }

  after(aggregateID: string, after: number, limit: number, prefix?: string): SyncEventRow[] {
    return this.store.after(aggregateID, after, limit, prefix)
  }

  latest(aggregateID: string): number {
    return this.store.aggregate(aggregateID)?.seq ?? -1
  }

  /**
   * The project's logged events the client does not have: after the given seq for the sessions
   * it names, all of them for the others. Session by session in id order, each in seq order, at
   * most HISTORY_LIMIT: ask again with the seqs received for the rest.
   */
  history(instance: Instance, known: SyncHistoryInput, limit = HISTORY_LIMIT): SyncEventRow[] {
    const rows: SyncEventRow[] = []
    let from = ''
    for (;;) {
      const page = this.store.aggregates(instance.project.id, from, 500)
      for (const { aggregateID, seq } of page) {
        const after = known[aggregateID] ?? -1
        if (seq > after) rows.push(...this.store.after(aggregateID, after, limit - rows.length))
        if (rows.length >= limit) return rows
      }
      if (page.length < 500) return rows
      from = page.at(-1)!.aggregateID
    }
  }

  /**
   * Checks a session's history and applies the events this server does not have yet, in one
   * transaction: all of them or none. Events it already has (by seq) are skipped.
   */
  replay(instance: Instance, events: SyncReplayInput['events']): { sessionID: string } {
    const sessionID = events[0]!.aggregateID
    for (const [i, event] of events.entries()) {
      if (event.aggregateID !== sessionID)
        throw new SyncRequestError(
          `Replay events must belong to one session: event ${i} is for ${event.aggregateID}, not ${sessionID}`,
        )
      if (event.seq !== events[0]!.seq + i)
        throw new SyncRequestError(
          `Replay events must have consecutive seqs: event ${i} has seq ${event.seq}, expected ${events[0]!.seq + i}`,
        )
    }
    const known = this.store.aggregate(sessionID)
    if (known && known.projectID !== instance.project.id)
      throw new SyncRequestError(`Session ${sessionID} belongs to another project on this server`)
    const latest = known?.seq ?? -1
    const pending = events.filter((event) => event.seq > latest)
    if (pending.length === 0) return { sessionID }
    if (pending[0]!.seq !== latest + 1) {
      throw new SyncRequestError(
        latest < 0
          ? `Incomplete history for ${sessionID}: it starts at seq ${pending[0]!.seq}, this server has none of it (expected seq 0)`
          : `Incomplete history for ${sessionID}: this server has up to seq ${latest}, the events start at seq ${pending[0]!.seq}`,
      )
    }
    const projectors = this.projectors()
    const planned = pending.map((event) => {
      const match = /^(.+)\.(\d+)$/.exec(event.type)
      const type = match?.[1] ?? event.type
      const where = `event seq ${event.seq} (${event.type})`
      if (!match || Number(match[2]) !== VERSION)
        throw new SyncRequestError(`Unknown event type at ${where}: expected "<type>.${VERSION}"`)
      const projector = projectors.get(type)
      if (!projector && !type.startsWith(NEXT_PREFIX)) throw new SyncRequestError(`Unknown event type at ${where}`)
      const data = event.data as Record<string, unknown>
      const problem = this.check(type, data)
      if (problem) throw new SyncRequestError(`Invalid data at ${where}: ${problem}`)
      if (data.sessionID !== sessionID)
        throw new SyncRequestError(`Invalid data at ${where}: sessionID must be ${sessionID}`)
      if (type !== 'session.created' && latest < 0 && event === pending[0])
        throw new SyncRequestError(`Incomplete history for ${sessionID}: it must start with session.created.${VERSION}`)
      return { event, data, type, projector, where }
    })

    const db = this.store.db
    db.transaction(() => {
      for (const { event, data, type, projector, where } of planned) {
        try {
          projector?.apply(type, data, { aggregateID: sessionID, instance })
          this.store.put(sessionID, instance.project.id, event.seq, {
            id: event.id,
            type: event.type,
            data: JSON.stringify(data),
          })
        } catch (error) {
          const message = (error as Error).message
          throw new SyncRequestError(
            `Cannot apply ${where}: ${/UNIQUE constraint failed: sync_event.id/.test(message) ? `event id ${event.id} is already used` : message}`,
          )
        }
      }
    })()

    for (const { event, data } of planned)
      this.notify(sessionID, { id: event.id, aggregate_id: sessionID, seq: event.seq, type: event.type, data })
    // Clients attached to this server see the replayed session as if it happened here.
    const definitions = new Map<string, EventDefinition>(
      definedEvents().map((definition) => [definition.type, definition]),
    )
    this.replaying = true
    try {
      for (const { data, type } of planned) {
        const definition = definitions.get(type)
        if (definition) this.kernel.bus.publish(instance, definition, data as never)
      }
    } finally {
      this.replaying = false
    }
    return { sessionID }
  }

  /** Why `data` does not fit the event's schema, or undefined when it does (or no schema is known). */
  private check(type: string, data: Record<string, unknown>): string | undefined {
    let validate = this.validators.get(type)
    if (validate === undefined) {
      const definition = definedEvents().find((event) => event.type === type)
      if (definition) {
        // Fastify's own Ajv setup, with every shared schema (Session.Info, Part …) resolvable by $id.
        this.compile ??= (
          AjvCompiler as unknown as () => (external: unknown, options: unknown) => (route: unknown) => Validator
        )()(this.app.getSchemas(), {
          customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false },
        })
        validate = this.compile({
          schema: definition.properties,
          method: 'POST',
          url: '/sync/replay',
          httpPart: 'body',
        })
      } else validate = null
      this.validators.set(type, validate)
    }
    if (!validate || validate(data)) return undefined
    const first = validate.errors?.[0]
    return `${first?.instancePath || '/'} ${first?.message ?? 'is invalid'}`
  }

  /** The session now belongs to the request's workspace (none: to the directory itself). */
  steal(instance: Instance, sessionID: string, workspaceID: string | undefined): { sessionID: string } {
    const info = this.app.sessions.find(sessionID)
    if (!info) throw new SyncRequestError(`Session not found: ${sessionID}`)
    if (info.projectID !== instance.project.id)
      throw new SyncRequestError(`Session ${sessionID} belongs to another project`)
    this.app.sessions.update(instance, sessionID, (session) => {
      if (workspaceID) session.workspaceID = workspaceID
      else delete session.workspaceID
    })
    this.store.claim(sessionID, workspaceID)
    return { sessionID }
  }
}
