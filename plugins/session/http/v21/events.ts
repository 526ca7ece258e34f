// OpenCode 2.1's session events that have no 1.18 counterpart: run boundaries, the inbox, usage,
// titles, a step's stream end, tool progress and retries. Published once each (none per token;
// progress once per metadata change); the rest of 2.1's session events are views of the 1.18
// events the loop already publishes (event-views.ts).
import { Type } from 'typebox'
import { StringEnum, defineEvent } from '../../../../sdk/index.js'

const common = { timestamp: Type.Number(), sessionID: Type.String() }
const Json = Type.Object({}, { additionalProperties: true })
const StructuredError = Type.Object({ type: Type.String(), message: Type.String() })
/** 2.1's `Session.StructuredError` of a provider failure: its kind, status, body and wait. */
const ProviderError = Type.Object({
  type: Type.String(),
  message: Type.String(),
  status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
  response: Type.Optional(Type.Object({ body: Type.String() })),
  retryAfterMs: Type.Optional(Type.Integer({ minimum: 0 })),
})
const inStep = { assistantMessageID: Type.String() }
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
/** The provider's stream of a step has ended: after its last text and tool input, before its tools run. */
export const StepStreamed = defineEvent('session.step.streamed', { ...common, ...inStep })
/** A running tool's metadata changed (the bash tool's output so far). */
export const ToolProgress = defineEvent('session.tool.progress', {
  ...common,
  ...inStep,
  id: Type.String(),
  metadata: Json,
})
/** A failed model call is tried again at `at` (epoch ms); `attempt` is the one to come (2 for the first retry). */
export const RetryScheduled = defineEvent('session.retry.scheduled', {
  ...common,
  ...inStep,
  attempt: Type.Integer({ minimum: 1 }),
  at: Type.Number(),
  error: ProviderError,
})

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
  StepStreamed,
  RetryScheduled,
].map((event) => event.type)

/** 2.1 events with a location (as the step and text events have). */
export const LOCATED_21_EVENTS = [
  InboxEnqueued.type,
  InboxDelivered.type,
  Renamed.type,
  StepStreamed.type,
  ToolProgress.type,
  RetryScheduled.type,
]

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
