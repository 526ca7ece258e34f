import type { BusEvent } from './bus.js'

/**
 * How one bus event reads on OpenCode 2.1's `GET /api/event`. A plugin whose events are named
 * or shaped differently there (1.18's `session.next.*`, v1's `message.updated`) registers a view
 * once per event type, and the stream renders each event in its dialect as it sends it: one
 * event on the bus, several dialects on the wire.
 */
export interface EventView {
  /**
   * The envelope's id, when 2.1 ties it to something else: an event that adds a transcript entry
   * shares its id body with it (`evt_X` made `msg_X`), and 2.1 clients fetch the entry by it.
   */
  id?: string
  type: string
  data: Record<string, unknown>
  /** False: the envelope carries no `location` (events of a session, not of a place). */
  location?: boolean
  metadata?: Record<string, unknown>
  /** The durable shape version 2.1 gives the event (1 when absent). */
  version?: number
}

/** The view of an event, or undefined: the event is not shown on `/api/event`. */
export type EventViewRenderer = (properties: Record<string, unknown>, event: BusEvent) => EventView | undefined

// On globalThis like the event registry, so a plugin's own copy of the SDK registers into the one the kernel reads.
const VIEWS_KEY = Symbol.for('opencode-kernel.event-views')
const views: Map<string, EventViewRenderer> = ((globalThis as Record<symbol, unknown>)[VIEWS_KEY] ??= new Map()) as Map<
  string,
  EventViewRenderer
>

const ONLY_KEY = Symbol.for('opencode-kernel.event-views.only')
const onlyThere: Set<string> = ((globalThis as Record<symbol, unknown>)[ONLY_KEY] ??= new Set()) as Set<string>

/**
 * Renders events of `type` through `render` on `/api/event` (registering again replaces it).
 * `only`: the event is 2.1's alone, and the v1 streams (`/event`, `/global/event`) leave it out.
 */
export function defineEventView(type: string, render: EventViewRenderer, options: { only?: boolean } = {}): void {
  views.set(type, render)
  if (options.only) onlyThere.add(type)
  else onlyThere.delete(type)
}

/** Whether an event is shown on `/api/event` only. */
export function isEventViewOnly(type: string): boolean {
  return onlyThere.has(type)
}

/** The registered view of an event type; undefined when the event is sent as it is. */
export function eventViewOf(type: string): EventViewRenderer | undefined {
  return views.get(type)
}
