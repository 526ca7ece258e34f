import { definePlugin, registerSchemas, type Instance } from '../../sdk/index.js'
import { PromptAdmission } from './admission.js'
import { SessionHistory } from './history.js'
import { BlockingSubagents, registerGlobalSessionRoutes } from './global.js'
import { registerSessionRoutes } from './routes.js'
import { PromptRunner } from './turn.js'
import { SessionShell } from './shell.js'
import { SessionCommands } from './command.js'
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
  PromptInput,
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
import { SessionService } from './service.js'
import { SESSION_MIGRATIONS, SessionStore } from './store.js'
import type { InterruptedCallHold, SessionApi } from './types.js'
import { PartWriter } from './writer.js'
import { registerSessionV2Routes, sessionInstance } from './v2-routes.js'
import { registerSessionV2LoopRoutes } from './v2-loop-routes.js'
import { registerSessionV2EventRoutes } from './v2-event-routes.js'
import { SessionInputs } from './v2-inputs.js'
import { SESSION_V2_SCHEMAS } from './v2-schemas.js'
import { registerSessionRevertRoutes } from './v2-revert.js'
import { sessionProjector } from './sync.js'
import { SyncProjectors } from '../sync/types.js'
import { ownText } from './prompt-parts.js'

/** Sessions, messages and parts, and the agent loop that answers prompts. */
export default definePlugin({
  name: 'session',
  dependencies: ['agent', 'provider'],
  needs: [
    'paths',
    'bus',
    'storage',
    'instances',
    'extensions',
    'tools',
    'processes',
    'env',
    'internalAuthorization',
    'dev',
    'publish',
    'config',
    'loadedConfig',
    'invalidateConfig',
    'onInstanceBoot',
    'reloading',
    'clustered',
    'node',
    'keep',
  ],
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
    registerSessionRoutes(app, kernel, {
      sessions,
      admission,
      history,
      shell: new SessionShell(kernel, sessions, admission, runner),
      commands: new SessionCommands(app, kernel, sessions, admission),
    })
    registerSessionV2Routes(app, kernel, { sessions, admission })
    registerSessionV2LoopRoutes(app, kernel, {
      sessions,
      admission,
      inputs: new SessionInputs(kernel.storage.db, kernel, sessions, admission),
    })
    registerSessionV2EventRoutes(app, kernel, { sessions })
    registerSessionRevertRoutes(app, kernel, { sessions, admission, history })
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
