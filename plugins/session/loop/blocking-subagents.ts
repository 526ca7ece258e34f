import { type Instance } from '../../../sdk/index.js'

/** Per instance: the task-tool calls each session is blocked on, by the function that detaches one. */
export class BlockingSubagents {
  private calls(instance: Instance): Map<string, Set<() => void>> {
    return instance.state('session.blocking-subagents', () => new Map<string, Set<() => void>>())
  }

  add(instance: Instance, sessionID: string, detach: () => void): () => void {
    const calls = this.calls(instance)
    let waiting = calls.get(sessionID)
    if (!waiting) calls.set(sessionID, (waiting = new Set()))
    waiting.add(detach)
    return () => {
      waiting.delete(detach)
      if (waiting.size === 0 && calls.get(sessionID) === waiting) calls.delete(sessionID)
    }
  }

  /** Detaches every call `sessionID` waits on; false when there was none. */
  detach(instance: Instance, sessionID: string): boolean {
    const waiting = this.calls(instance).get(sessionID)
    if (!waiting?.size) return false
    for (const detach of [...waiting]) detach()
    return true
  }
}
