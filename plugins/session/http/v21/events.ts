// OpenCode 2.1's session events that have no 1.18 counterpart: run boundaries, the inbox, usage
// and titles. Published once each (none per token); the rest of 2.1's session events are views
// of the 1.18 events the loop already publishes (event-views.ts).
import { Type } from 'typebox'
import { StringEnum, defineEvent } from '../../../../sdk/index.js'

const common = { timestamp: Type.Number(), sessionID: Type.String() }
const Json = Type.Object({}, { additionalProperties: true })
const StructuredError = Type.Object({ type: Type.String(), message: Type.String() })
const Tokens = Type.Object({
  input: Type.Number(),
  output: Type.Number(),
  reasoning: Type.Number(),
  cache: Type.Object({ read: Type.Number(), write: Type.Number() }),
})
export const Delivery = StringEnum(['steer', 'queue'])

export const ExecutionStarted = defineEvent('session.execution.started', common)
export const ExecutionSucceeded = defineEvent('session.execution.succeeded', common)
export const ExecutionFailed = defineEvent('session.execution.failed', { ...common, error: StructuredError })
export const ExecutionInterrupted = defineEvent('session.execution.interrupted', {
  ...common,
  reason: Type.String(),
})
export const InboxEnqueued = defineEvent('session.inbox.enqueued', {
  ...common,
  inboxID: Type.String(),
  item: Type.Object({ type: Type.String(), payload: Json, delivery: Delivery }),
})
export const InboxDelivered = defineEvent('session.inbox.delivered', { ...common, inboxID: Type.String() })
export const InboxDeliveryChanged = defineEvent('session.inbox.delivery.changed', {
  ...common,
  inboxID: Type.String(),
  delivery: Delivery,
})
export const InboxCancelled = defineEvent('session.inbox.cancelled', { ...common, inboxID: Type.String() })
export const UsageUpdated = defineEvent('session.usage.updated', { ...common, cost: Type.Number(), tokens: Tokens })
export const Renamed = defineEvent('session.renamed', { ...common, title: Type.String() })

/** `session.usage.updated` of a session: its totals so far. */
export function usageOf(info: {
  id: string
  cost: number
  tokens: { input: number; output: number; reasoning: number; cache: { read: number; write: number } }
}) {
  const { input, output, reasoning, cache } = info.tokens
  return {
    timestamp: Date.now(),
    sessionID: info.id,
    cost: info.cost,
    tokens: { input, output, reasoning, cache: { read: cache.read, write: cache.write } },
  }
}

/** The durable ones: logged in the session's log (their `seq`), as in OpenCode 2.1. */
export const DURABLE_21_EVENTS = [
  ExecutionStarted,
  ExecutionSucceeded,
  ExecutionFailed,
  ExecutionInterrupted,
  InboxEnqueued,
  InboxDelivered,
  InboxDeliveryChanged,
  InboxCancelled,
  Renamed,
].map((event) => event.type)

/** 2.1 events of a session, not of a place: their envelopes carry no `location`. */
export const PLACELESS_21_EVENTS = new Set([
  ExecutionStarted.type,
  ExecutionSucceeded.type,
  ExecutionFailed.type,
  ExecutionInterrupted.type,
  InboxDeliveryChanged.type,
  InboxCancelled.type,
  UsageUpdated.type,
])
