// How a run of turns ended, as OpenCode 2.1 tells it (`session.execution.*`, the `idle` entry).
import type { Instance } from '../../../sdk/index.js'
import type { MessageWithParts } from '../schemas.js'

/** How a run (the loop from busy to idle) ended, as OpenCode 2.1 tells it. */
export interface RunOutcome {
  outcome: 'succeeded' | 'failed' | 'interrupted'
  error?: { type: string; message: string }
}

/** Told when a session's loop starts running turns and when it goes idle again. */
export interface RunListener {
  started(instance: Instance, sessionID: string): void
  ended(instance: Instance, sessionID: string, outcome: RunOutcome): void
}

/** How a turn ended: its final message failed, was aborted, or answered. */
export function turnOutcome(reply: MessageWithParts, aborted: boolean): RunOutcome {
  const error = reply.info.role === 'assistant' ? reply.info.error : undefined
  if (aborted || error?.name === 'MessageAbortedError') return { outcome: 'interrupted' }
  if (!error) return { outcome: 'succeeded' }
  const message = (error.data as { message?: unknown }).message
  return { outcome: 'failed', error: { type: 'unknown', message: String(message ?? error.name) } }
}

/** How a turn that threw ended. */
export function thrownOutcome(error: unknown, aborted: boolean): RunOutcome {
  if (aborted) return { outcome: 'interrupted' }
  return { outcome: 'failed', error: { type: 'unknown', message: (error as Error)?.message ?? String(error) } }
}
