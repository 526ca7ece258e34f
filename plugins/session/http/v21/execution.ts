// OpenCode 2.1's run boundaries: `session.execution.started` when the loop starts running turns,
// then `…succeeded|failed|interrupted` and an `idle` transcript entry (the session's `outcome`
// and `time.idle`) when it goes idle again.
import type { SessionKernel } from '../../index.js'
import { ascendingId, type Instance } from '../../../../sdk/index.js'
import type { RunListener, RunOutcome } from '../../loop/admission.js'
import type { IdleEntry, SessionEntries } from '../../store/entries.js'
import { ExecutionFailed, ExecutionInterrupted, ExecutionStarted, ExecutionSucceeded } from './events.js'

export function executionEvents(kernel: SessionKernel, entries: SessionEntries): RunListener {
  return {
    started(instance: Instance, sessionID: string) {
      kernel.publish(instance, ExecutionStarted, { timestamp: Date.now(), sessionID })
    },
    ended(instance: Instance, sessionID: string, { outcome, error }: RunOutcome) {
      const timestamp = Date.now()
      const entry: IdleEntry = {
        id: ascendingId('msg'),
        time: { created: timestamp },
        type: 'idle',
        outcome,
        ...(error ? { error } : {}),
      }
      try {
        entries.add(sessionID, entry)
      } catch (failure) {
        // The session was deleted while it ran.
        kernel.log.debug({ err: failure, sessionID }, 'no idle entry for a session that is gone')
      }
      if (outcome === 'succeeded') kernel.publish(instance, ExecutionSucceeded, { timestamp, sessionID })
      else if (outcome === 'interrupted')
        kernel.publish(instance, ExecutionInterrupted, { timestamp, sessionID, reason: 'user' })
      else kernel.publish(instance, ExecutionFailed, { timestamp, sessionID, error: error! })
    },
  }
}
