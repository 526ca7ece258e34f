// `app.sessions`: what the session plugin offers other plugins (the contract is types.ts).
import type { SessionKernel } from './index.js'
import type { BlockingSubagents } from './loop/blocking-subagents.js'
import type { PromptAdmission } from './loop/admission.js'
import { ownText } from './loop/prompt-parts.js'
import { sessionInstance } from './store/locate.js'
import type { SessionService } from './store/service.js'
import type { InterruptedCallHold, SessionApi } from './types.js'

export function sessionApi(deps: {
  kernel: SessionKernel
  sessions: SessionService
  admission: PromptAdmission
  holds: InterruptedCallHold[]
  subagents: BlockingSubagents
}): SessionApi {
  const { kernel, sessions, admission, holds, subagents } = deps
  const store = sessions.store
  return {
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
}
