// The session plugin: sessions, messages and parts (store/), the agent loop (loop/) and the v1
// and v2 HTTP dialects over them (http/v1/, http/v2/); this file wires them. A prompt's walk:
//   http/v1/routes.ts        POST /session/:id/message (v2: http/v2/loop-routes.ts, inputs.ts)
//   loop/admission.ts        which prompts a turn answers, and when (PromptAdmission.submit)
//   loop/turn.ts             one turn: steps until the model stops, summaries (PromptRunner.turn)
//   loop/step.ts             one model call streamed into parts, retries, snapshots (StepRunner)
//   loop/tool-call.ts        the tools a step offers; one call's run and permissions (ToolCalls)
// Parts and messages are saved through store/service.ts, which publishes the events.
import { definePlugin, registerSchemas, type Instance } from '../../sdk/index.js'
import { PromptAdmission } from './loop/admission.js'
import { SessionHistory } from './store/history.js'
import { registerGlobalSessionRoutes } from './http/v1/experimental-routes.js'
import { BlockingSubagents } from './loop/blocking-subagents.js'
import { registerSessionRoutes } from './http/v1/routes.js'
import { PromptRunner } from './loop/turn.js'
import { SessionShell } from './http/v1/shell.js'
import { SessionCommands } from './http/v1/command.js'
import {
  AgentPart,
  AssistantMessage,
  CompactionPart,
  FileDiff,
  FilePart,
  MessageError,
  MessageInfo,
  MessageWithParts,
  OutputFormat,
  Part,
  PatchPart,
  PermissionRule,
  ReasoningPart,
  RetryPart,
  SessionInfo,
  SessionStatus,
  StepFinishPart,
  StepStartPart,
  SubtaskPart,
  TextPart,
  ToolPart,
  ToolState,
  UserMessage,
} from './schemas.js'
import { PromptInput } from './prompt-schemas.js'
import { SessionService } from './store/service.js'
import { SESSION_MIGRATIONS } from './store/migrations.js'
import { SessionStore } from './store/store.js'
import type { InterruptedCallHold, SessionApi } from './types.js'
import { PartWriter } from './store/part-writer.js'
import { registerSessionV2Routes } from './http/v2/routes.js'
import { sessionInstance } from './store/locate.js'
import { SessionInputs } from './http/v2/inputs.js'
import { SESSION_V2_SCHEMAS } from './http/v2/schemas.js'
import { sessionProjector } from './store/sync-projector.js'
import { SyncProjectors } from '../sync/types.js'
import { ownText } from './loop/prompt-parts.js'

/** Sessions, messages and parts, and the agent loop that answers prompts. */
export default definePlugin({
  name: 'session',
  dependencies: ['agent', 'provider'],
  register(app, kernel) {
    registerSchemas(app, [
      FileDiff,
      PermissionRule,
      SessionInfo,
      SessionStatus,
      MessageError,
      OutputFormat,
      UserMessage,
      AssistantMessage,
      MessageInfo,
      TextPart,
      ReasoningPart,
      FilePart,
      ToolState,
      ToolPart,
      StepStartPart,
      StepFinishPart,
      PatchPart,
      AgentPart,
      SubtaskPart,
      RetryPart,
      CompactionPart,
      Part,
      MessageWithParts,
      PromptInput,
    ])
    registerSchemas(app, SESSION_V2_SCHEMAS)
    kernel.storage.migrate('session', SESSION_MIGRATIONS)
    const store = new SessionStore(
      kernel.storage.db,
      kernel.keep('session.histories', () => new Map()),
    )
    kernel.extensions.provide(SyncProjectors, 'session', sessionProjector(store))
    const sessions = new SessionService(kernel, store)
    const writer = new PartWriter(store, 250, (error) =>
      kernel.log.error({ err: error }, 'writing streamed parts failed'),
    )
    const history = new SessionHistory(app, kernel, sessions)
    const runner = new PromptRunner(app, kernel, sessions, writer, history)
    const admission = new PromptAdmission(app, kernel, sessions, writer, history, runner)
    const holds: InterruptedCallHold[] = []
    const subagents = new BlockingSubagents()
    // After every plugin has registered, so the permission service can hold its waiting calls.
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
    app.addHook('onClose', async () => writer.flush())
    // Another server of the cluster wrote rows this one caches.
    const forget = kernel.storage.onExternalChange((tables) => {
      if (tables.has('session') || tables.has('message') || tables.has('part')) store.forgetCaches()
    })
    app.addHook('onClose', async () => forget())

    const api: SessionApi = {
      get: (instance, sessionID) => sessions.get(instance, sessionID),
      holdInterrupted: (hold) => void holds.push(hold),
      resumeTool: (instance, sessionID, messageID, callID, outcome) =>
        admission.resume(instance, sessionID, messageID, callID, outcome),
      create: (instance, input) => sessions.create(instance, input),
      async promptText(instance, sessionID, input) {
        const reply = await admission.prompt(instance, sessionID, {
          parts: [{ type: 'text', text: input.text }],
          agent: input.agent,
          model: input.model,
        })
        const error = reply.info.role === 'assistant' ? reply.info.error : undefined
        if (error) throw new Error(`${error.name}: ${String((error.data as { message?: unknown }).message ?? '')}`)
        return ownText(reply.parts)
      },
      abort: (instance, sessionID) => admission.abort(instance, sessionID),
      update: (instance, sessionID, change) => sessions.update(instance, sessionID, change),
      find: (sessionID) => store.getSession(sessionID),
      messages: (sessionID, limit) => store.page(sessionID, limit).messages,
      locate: async (sessionID) => (await sessionInstance(kernel, store, sessionID)).instance,
      blockingSubagent: (instance, sessionID, detach) => subagents.add(instance, sessionID, detach),
    }
    app.decorate('sessions', api)
    registerSessionRoutes(app, {
      kernel,
      sessions,
      admission,
      history,
      shell: new SessionShell(kernel, sessions, admission, runner),
      commands: new SessionCommands(app, kernel, sessions, admission),
    })
    registerSessionV2Routes(app, {
      kernel,
      sessions,
      admission,
      history,
      inputs: new SessionInputs(kernel.storage.db, kernel, sessions, admission),
    })
    registerGlobalSessionRoutes(app, store, subagents)
  },
})

/**
 * Tool parts and replies a crash left unfinished become errors, so no client waits on them
 * forever, except calls a plugin holds to resume (a pending permission); their replies stay open.
 */
function recoverInterruptedParts(
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
