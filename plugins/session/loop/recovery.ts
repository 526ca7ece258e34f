// What a crash (or a lost lease) left unfinished: tool parts and replies still open in the store.
import type { SessionKernel } from '../index.js'
import { type Instance, type PluginApp } from '../../../sdk/index.js'
import type { Part } from '../schemas.js'
import type { SessionStore } from '../store/store.js'
import type { InterruptedCallHold } from '../types.js'
import type { PromptRunner } from './turn.js'

/**
 * Recovers interrupted parts when this server starts serving an instance: in a cluster once per
 * instance boot on this node, else once the server is ready.
 */
export function recoverOnBoot(
  app: PluginApp,
  kernel: SessionKernel,
  store: SessionStore,
  holds: InterruptedCallHold[],
  runner: PromptRunner,
): void {
  if (kernel.clustered) {
    // In a cluster an instance boots on a node only once it holds the lease: what the previous
    // owner left unfinished is this instance's to recover, once per boot (not again on a reload).
    const recovered = kernel.keep('session.recovered', () => new WeakSet<Instance>())
    kernel.onInstanceBoot((instance) => {
      if (recovered.has(instance)) return
      recovered.add(instance)
      recoverInterruptedParts(store, holds, runner, instance.directory)
    })
  } else {
    app.addHook('onReady', async () => {
      // Not when dev mode reloads the plugins: those parts belong to turns still running.
      if (!kernel.reloading) recoverInterruptedParts(store, holds, runner)
    })
  }
}

/**
 * Tool parts and replies a crash left unfinished become errors, so no client waits on them
 * forever, except calls a plugin holds to resume (a pending permission); their replies stay open.
 */
export function recoverInterruptedParts(
  store: SessionStore,
  holds: InterruptedCallHold[],
  runner: PromptRunner,
  directory?: string,
): void {
  const now = Date.now()
  const parts = store.activeParts(directory)
  const open = new Set<string>()
  const changed: Part[] = []
  for (const part of parts) {
    if (part.type !== 'tool' || (part.state.status !== 'pending' && part.state.status !== 'running')) continue
    const hold = part.state.status === 'running' ? holds.find((h) => h.holds(part)) : undefined
    if (hold) {
      runner.holdCall(part.sessionID, { messageID: part.messageID, callID: part.callID, hold })
      open.add(part.messageID)
      continue
    }
    const start = part.state.status === 'running' ? part.state.time.start : now
    part.state = {
      status: 'error',
      input: part.state.input,
      error: 'Tool execution was interrupted (the server stopped)',
      time: { start, end: now },
    }
    changed.push(part)
  }
  if (changed.length) store.saveParts(changed)
  for (const message of store.activeMessages(directory)) {
    if (message.role !== 'assistant' || open.has(message.id)) continue
    message.time.completed = now
    message.error ??= { name: 'MessageAbortedError', data: { message: 'The server stopped before the reply finished' } }
    store.saveMessage(message)
  }
}
