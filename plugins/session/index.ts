// The session plugin: sessions, messages and parts (store/), the agent loop (loop/) and the v1
// and v2 HTTP dialects over them (http/v1/, http/v2/); this file wires them. A prompt's walk:
//   http/v1/prompt-routes.ts  POST /session/:id/message (v2: http/v2/prompt-routes.ts, inputs.ts)
//   loop/admission.ts         which prompts a turn answers, and when (PromptAdmission.submit)
//   loop/turn.ts              one turn: a held call or subtasks first (PromptRunner.turn), then
//   loop/turn-steps.ts        its steps until the model stops, summaries, reminders (TurnSteps)
//   loop/step/step.ts         one model call streamed into parts (step/stream.ts), retried
//   loop/step/tool-call.ts    the tools a step offers; one call's run and permissions (ToolCalls)
// Messages and parts are saved through store/service.ts, which publishes their events.
import { definePlugin, registerSchemas, type PluginApp, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { SyncProjectors } from '../sync/types.js'
import { registerGlobalSessionRoutes } from './http/v1/experimental-routes.js'
import { SessionCommands } from './http/v1/command.js'
import { registerSessionRoutes } from './http/v1/routes.js'
import { SessionShell } from './http/v1/shell.js'
import { SessionInputs } from './http/v2/inputs.js'
import { registerSessionV2Routes } from './http/v2/routes.js'
import { SESSION_V2_SCHEMAS } from './http/v2/schemas.js'
import { registerSessionEventViews } from './http/v21/event-views.js'
import { DURABLE_21_EVENTS } from './http/v21/events.js'
import { executionEvents } from './http/v21/execution.js'
import { SESSION_21_SCHEMAS } from './http/v21/schemas.js'
import { PromptAdmission } from './loop/admission.js'
import { BlockingSubagents } from './loop/blocking-subagents.js'
import { recoverOnBoot } from './loop/recovery.js'
import { PromptRunner } from './loop/turn.js'
import { PromptInput } from './prompt-schemas.js'
import { SESSION_SCHEMAS } from './schemas.js'
import { sessionApi } from './session-api.js'
import { SessionHistory } from './store/history.js'
import { SESSION_MIGRATIONS } from './store/migrations.js'
import { PartWriter } from './store/part-writer.js'
import { SessionService } from './store/service.js'
import { SessionStore } from './store/store.js'
import { sessionProjector } from './store/sync-projector.js'
import type { InterruptedCallHold } from './types.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = [
  'paths',
  'storage',
  'instances',
  'extensions',
  'tools',
  'env',
  'publish',
  'config',
  'onInstanceBoot',
  'reloading',
  'clustered',
  'keep',
] as const satisfies readonly KernelMember[]
export type SessionKernel = PluginKernel<(typeof needs)[number]>

/** Sessions, messages and parts, and the agent loop that answers prompts. */
export default definePlugin({
  name: 'session',
  dependencies: ['agent', 'provider'],
  needs,
  register(app, kernel) {
    registerSchemas(app, [...SESSION_SCHEMAS, PromptInput])
    registerSchemas(app, SESSION_V2_SCHEMAS)
    registerSchemas(app, SESSION_21_SCHEMAS)
    kernel.storage.migrate('session', SESSION_MIGRATIONS)
    const { store, sessions, writer, history, runner, admission } = sessionParts(app, kernel)
    const holds: InterruptedCallHold[] = []
    const subagents = new BlockingSubagents()
    // After every plugin has registered, so the permission service can hold its waiting calls.
    recoverOnBoot(app, kernel, store, holds, runner)
    app.addHook('onClose', async () => writer.flush())
    // Another server of the cluster wrote rows this one caches.
    const forget = kernel.storage.onExternalChange((tables) => {
      if (tables.has('session') || tables.has('message') || tables.has('part')) store.forgetCaches()
    })
    app.addHook('onClose', async () => forget())

    app.decorate('sessions', sessionApi({ kernel, sessions, admission, holds, subagents }))
    registerSessionRoutes(app, {
      kernel,
      sessions,
      admission,
      history,
      shell: new SessionShell(kernel, sessions, admission, runner),
      commands: new SessionCommands(app, kernel, sessions, admission),
    })
    const entries = store.entries
    admission.onRun(executionEvents(kernel, entries))
    registerSessionEventViews(sessions.next)
    registerSessionV2Routes(app, {
      kernel,
      sessions,
      admission,
      history,
      inputs: new SessionInputs(kernel.storage.db, kernel, sessions, admission),
      entries,
      subagents,
    })
    registerGlobalSessionRoutes(app, store, subagents)
  },
})

/** The store, the service over it, and the loop (runner and admission) that writes through them. */
function sessionParts(app: PluginApp, kernel: SessionKernel) {
  const store = new SessionStore(
    kernel.storage.db,
    kernel.keep('session.histories', () => new Map()),
  )
  kernel.extensions.provide(SyncProjectors, 'session', sessionProjector(store))
  // 2.1's durable run and inbox events are logged (their seq), replayed as nothing to project.
  kernel.extensions.provide(SyncProjectors, 'session-21', { types: DURABLE_21_EVENTS, apply: () => {} })
  const sessions = new SessionService(kernel, store)
  const writer = new PartWriter(store, 250, (error) =>
    kernel.log.error({ err: error }, 'writing streamed parts failed'),
  )
  const history = new SessionHistory(app, kernel, sessions)
  const runner = new PromptRunner(app, kernel, sessions, writer, history)
  const admission = new PromptAdmission(app, kernel, sessions, writer, history, runner)
  return { store, sessions, writer, history, runner, admission }
}
