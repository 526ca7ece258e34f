import { Type, type Static, type TObject, type TProperties, type TSchema } from 'typebox'
import { ascendingId } from '../core/ids.js'

/** A typed event: its `type` string and the TypeBox schema of its `properties`. */
export interface EventDefinition<P extends TSchema = TSchema> {
  readonly type: string
  readonly properties: P
}

export type EventProperties<E extends EventDefinition> = Static<E['properties']>

/** The `{id, type, properties}` payload every subscriber receives. */
export interface EventPayload {
  id: string
  type: string
  properties: Record<string, unknown>
}

/** An event as published: the payload plus where it happened. */
export interface BusEvent {
  /** Increasing across the whole process; the SSE `id:` line. */
  seq: number
  /** The instance directory, or `"global"` for events that belong to no instance. */
  directory: string
  project?: string
  payload: EventPayload
  /** Where a durable log (the sync plugin's per-session log) stored the event, set as it is published. */
  durable?: { aggregateID: string; seq: number; version: number }
}

// Held on globalThis so that a third-party plugin resolving its own copy of this package
// still defines events into the one registry that /doc and the bus read.
const REGISTRY_KEY = Symbol.for('opencode-kernel.events')
type Registry = Map<string, EventDefinition>
const registry: Registry = ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] ??= new Map()) as Registry

/**
 * Defines an event once. Event types are lowercase, dotted and past tense (`session.created`).
 * Defining the same type again (a reloaded plugin) replaces the schema.
 */
export function defineEvent<P extends TProperties>(type: string, properties: P): EventDefinition<TObject<P>> {
  if (!/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/.test(type)) {
    throw new Error(`event type "${type}" must be lowercase and dotted, e.g. "session.created"`)
  }
  const definition = { type, properties: Type.Object(properties) }
  registry.set(type, definition)
  return definition
}

export function definedEvents(): EventDefinition[] {
  return [...registry.values()].sort((a, b) => a.type.localeCompare(b.type))
}

/** How `GET /api/event` shows an event's data. */
export type ApiEventView = (properties: Record<string, unknown>) => Record<string, unknown>

const VIEWS_KEY = Symbol.for('opencode-kernel.event-views')
type Views = Map<string, ApiEventView>
const views: Views = ((globalThis as Record<symbol, unknown>)[VIEWS_KEY] ??= new Map()) as Views

/**
 * Where one event type means different data to v1 clients (`/event`) and to OpenCode 2.1's
 * (`/api/event`), the bus carries the v1 data and `/api/event` shows `view(data)` instead.
 * Defining a view again (a reloaded plugin) replaces it.
 */
export function defineApiView<E extends EventDefinition>(
  event: E,
  view: (properties: EventProperties<E>) => Record<string, unknown>,
): void {
  views.set(event.type, view as ApiEventView)
}

/** The data `/api/event` shows for an event. */
export function apiEventData(type: string, properties: Record<string, unknown>): Record<string, unknown> {
  const view = views.get(type)
  return view ? view(properties) : properties
}

/** Where an event is published: an instance, or `global`. */
export interface EventTarget {
  directory: string
  project?: { id: string }
}

export type Listener = (event: BusEvent) => void

/**
 * The event bus. In-process by default; a deployment on several machines swaps in an adapter
 * with the same interface (PostgreSQL LISTEN/NOTIFY, Redis, NATS) without touching plugins.
 */
export interface EventBus {
  publish<E extends EventDefinition>(target: EventTarget | 'global', event: E, properties: EventProperties<E>): BusEvent
  /** Listens to every event, or only to those of one directory. Returns the unsubscribe function. */
  subscribe(listener: Listener, directory?: string): () => void
  /** Events after `seq` still held in the replay buffer; `undefined` when some are gone. */
  since(seq: number, directory?: string): BusEvent[] | undefined
  /** A sequence number for frames that are not events (connected, heartbeat). */
  nextSeq(): number
  readonly lastSeq: number
}

export interface InProcessBusOptions {
  /** How many recent events are kept for `Last-Event-ID` replay. */
  replayCapacity?: number
  /** Called when an in-process listener throws; the event still reaches the others. */
  onListenerError?: (error: unknown, event: BusEvent) => void
}

export class InProcessBus implements EventBus {
  private seq: number
  private readonly ring: (BusEvent | undefined)[]
  private ringStart = 0
  private ringLength = 0
  /** The highest seq that has left the replay buffer (or preceded this process). */
  private lostUpTo: number
  private readonly subscribers: Subscribers

  constructor(options: InProcessBusOptions = {}) {
    this.subscribers = new Subscribers(options.onListenerError ?? ((error) => console.error(error)))
    this.ring = new Array(Math.max(1, options.replayCapacity ?? 4096))
    // Start from the clock so ids keep increasing across restarts and an id from a previous
    // process is always recognised as lost.
    this.seq = Date.now() * 1000
    this.lostUpTo = this.seq
  }

  get lastSeq(): number {
    return this.seq
  }

  nextSeq(): number {
    return ++this.seq
  }

  publish<E extends EventDefinition>(
    target: EventTarget | 'global',
    event: E,
    properties: EventProperties<E>,
  ): BusEvent {
    const directory = target === 'global' ? 'global' : target.directory
    const busEvent: BusEvent = {
      seq: ++this.seq,
      directory,
      payload: { id: ascendingId('evt'), type: event.type, properties: properties as Record<string, unknown> },
    }
    if (target !== 'global' && target.project) busEvent.project = target.project.id
    this.remember(busEvent)
    this.subscribers.deliver(busEvent)
    return busEvent
  }

  subscribe(listener: Listener, directory?: string): () => void {
    return this.subscribers.add(listener, directory)
  }

  since(seq: number, directory?: string): BusEvent[] | undefined {
    if (seq < this.lostUpTo || seq > this.seq) return undefined
    const out: BusEvent[] = []
    for (let i = 0; i < this.ringLength; i++) {
      const event = this.ring[(this.ringStart + i) % this.ring.length]!
      if (event.seq > seq && (directory === undefined || event.directory === directory)) out.push(event)
    }
    return out
  }

  private remember(event: BusEvent): void {
    if (this.ringLength === this.ring.length) {
      this.lostUpTo = this.ring[this.ringStart]!.seq
      this.ring[this.ringStart] = event
      this.ringStart = (this.ringStart + 1) % this.ring.length
    } else {
      this.ring[(this.ringStart + this.ringLength) % this.ring.length] = event
      this.ringLength++
    }
  }
}

/**
 * Listeners of every event and of one directory's events. Each is called in turn; one that throws
 * is reported and never breaks the publisher or the other listeners.
 */
export class Subscribers {
  private readonly all = new Set<Listener>()
  private readonly byDirectory = new Map<string, Set<Listener>>()

  constructor(private readonly onError: (error: unknown, event: BusEvent) => void) {}

  /** Listens to every event, or only to those of `directory`. Returns the unsubscribe function. */
  add(listener: Listener, directory?: string): () => void {
    if (directory === undefined) {
      this.all.add(listener)
      return () => this.all.delete(listener)
    }
    let set = this.byDirectory.get(directory)
    if (!set) this.byDirectory.set(directory, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0 && this.byDirectory.get(directory) === set) this.byDirectory.delete(directory)
    }
  }

  deliver(event: BusEvent): void {
    for (const listener of this.all) this.call(listener, event)
    const local = this.byDirectory.get(event.directory)
    if (local) for (const listener of local) this.call(listener, event)
  }

  private call(listener: Listener, event: BusEvent): void {
    try {
      listener(event)
    } catch (error) {
      this.onError(error, event)
    }
  }
}
