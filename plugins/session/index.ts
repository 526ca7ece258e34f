import { definePlugin } from '../../kernel/plugin.js'
import { registerSchemas } from '../../kernel/schemas.js'
import { registerSessionRoutes } from './routes.js'
import { PromptRunner } from './runner.js'
import {
  AgentPart,
  AssistantMessage,
  CompactionPart,
  FilePart,
  MessageError,
  MessageInfo,
  MessageWithParts,
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
import type { SessionApi } from './types.js'
import { PartWriter } from './writer.js'

/** Sessions, messages and parts, and the agent loop that answers prompts. */
export default definePlugin({
  name: 'session',
  dependencies: ['agent', 'provider'],
  register(app, kernel) {
    registerSchemas(app, [
      PermissionRule,
      SessionInfo,
      SessionStatus,
      MessageError,
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
    kernel.storage.migrate('session', SESSION_MIGRATIONS)
    const store = new SessionStore(kernel.storage.db)
    recoverInterruptedParts(store)

    const sessions = new SessionService(kernel, store)
    const writer = new PartWriter(store, 250, (error) => kernel.log.error({ err: error }, 'writing streamed parts failed'))
    const runner = new PromptRunner(app, kernel, sessions, writer)
    app.addHook('onClose', async () => writer.flush())

    const api: SessionApi = {
      create: (instance, input) => sessions.create(instance, input),
      async promptText(instance, sessionID, input) {
        const reply = await runner.prompt(instance, sessionID, { parts: [{ type: 'text', text: input.text }], agent: input.agent, model: input.model })
        return reply.parts.flatMap((part) => (part.type === 'text' && !part.synthetic ? [part.text] : [])).join('\n')
      },
      abort: (instance, sessionID) => runner.abort(instance, sessionID),
    }
    app.decorate('sessions', api)
    registerSessionRoutes(app, kernel, sessions, runner)
  },
})

/** Tool parts and replies a crash left unfinished become errors, so no client waits on them forever. */
function recoverInterruptedParts(store: SessionStore): void {
  const now = Date.now()
  const parts = store.activeParts()
  for (const part of parts) {
    if (part.type !== 'tool' || (part.state.status !== 'pending' && part.state.status !== 'running')) continue
    const start = part.state.status === 'running' ? part.state.time.start : now
    part.state = { status: 'error', input: part.state.input, error: 'Tool execution was interrupted (the server stopped)', time: { start, end: now } }
  }
  if (parts.length) store.saveParts(parts)
  for (const message of store.activeMessages()) {
    if (message.role !== 'assistant') continue
    message.time.completed = now
    message.error ??= { name: 'MessageAbortedError', data: { message: 'The server stopped before the reply finished' } }
    store.saveMessage(message)
  }
}
