// Tool calls a restart left running while they waited on the user (a pending permission): held
// until the plugin that holds them resumes or releases them.
import type { SessionKernel } from '../index.js'
import { type Instance } from '../../../sdk/index.js'
import type { AgentInfo } from '../../agent/types.js'
import type { AssistantMessage, MessageWithParts, ToolPart } from '../schemas.js'
import type { PartWriter } from '../store/part-writer.js'
import type { SessionService } from '../store/service.js'
import type { InterruptedCallHold } from '../types.js'
import type { TurnControl, TurnResume, UserWithParts } from './turn-control.js'
import { toMessageError } from './step/assistant-message.js'
import { partUpdater } from './step/parts.js'
import type { ToolCalls } from './step/tool-call.js'

/** A tool call left running by a restart, which a plugin (the permission service) will finish. */
export interface HeldCall {
  messageID: string
  callID: string
  hold: InterruptedCallHold
}

export class HeldCalls {
  /** Held calls by session id (sessions are global, instances boot later). */
  private readonly held: Map<string, HeldCall[]>

  constructor(
    private readonly kernel: SessionKernel,
    private readonly sessions: SessionService,
    private readonly writer: PartWriter,
    private readonly tools: ToolCalls,
  ) {
    // Kept by the kernel: turns running when dev mode reloads this plugin finish in the old code.
    this.held = kernel.keep('session.held', () => new Map())
  }

  /** Records a call a restart left waiting; it stays `running` until resumed or released. */
  hold(sessionID: string, call: HeldCall): void {
    const calls = this.held.get(sessionID) ?? []
    calls.push(call)
    this.held.set(sessionID, calls)
  }

  /** Fails the session's held calls (their message ends aborted) and tells their holders. */
  release(instance: Instance, sessionID: string): void {
    const calls = this.held.get(sessionID)
    if (!calls) return
    this.held.delete(sessionID)
    const now = Date.now()
    for (const call of calls) {
      const message = this.sessions.store.getMessage(sessionID, call.messageID)
      const part = message?.parts.find((p): p is ToolPart => p.type === 'tool' && p.callID === call.callID)
      if (message && part && part.state.status === 'running') {
        part.state = {
          status: 'error',
          input: part.state.input,
          error: 'Tool execution was interrupted (the server stopped)',
          time: { start: part.state.time.start, end: now },
        }
        this.sessions.savePart(instance, part)
      }
      if (message && message.info.role === 'assistant' && !message.info.time.completed) {
        message.info.time.completed = now
        message.info.error ??= {
          name: 'MessageAbortedError',
          data: { message: 'The server stopped before the reply finished' },
        }
        this.sessions.saveMessage(instance, message.info)
      }
      call.hold.released(instance, sessionID, call.callID)
    }
  }

  /** Forgets one held call; returns the user message its turn answered, for admission to resume it. */
  unhold(sessionID: string, messageID: string, callID: string): UserWithParts | undefined {
    const calls = this.held.get(sessionID) ?? []
    const index = calls.findIndex((call) => call.messageID === messageID && call.callID === callID)
    if (index < 0) return undefined
    calls.splice(index, 1)
    if (!calls.length) this.held.delete(sessionID)
    const message = this.sessions.store.getMessage(sessionID, messageID)
    const parent =
      message?.info.role === 'assistant' ? this.sessions.store.getMessage(sessionID, message.info.parentID) : undefined
    return parent?.info.role === 'user' ? (parent as UserWithParts) : undefined
  }

  /**
   * Runs (or fails) a call a restart interrupted and completes its message when it was the last
   * one held. `continue` says whether the loop goes on to the next step.
   */
  async finish(
    instance: Instance,
    sessionID: string,
    agent: AgentInfo,
    resume: TurnResume,
    turn: TurnControl,
  ): Promise<{ message: MessageWithParts; continue: boolean }> {
    const { signal } = turn
    const message = this.sessions.store.getMessage(sessionID, resume.messageID)!
    const info = message.info as AssistantMessage
    const part = message.parts.find((p): p is ToolPart => p.type === 'tool' && p.callID === resume.callID)
    const control = { stop: false }
    if (part && part.state.status === 'running') {
      turn.setStatus({ type: 'busy' })
      const start = part.state.time.start
      await this.settle(instance, sessionID, agent, resume, { info, part, start, signal, control })
    }
    this.writer.flush()
    const stillHeld = (this.held.get(sessionID) ?? []).some((call) => call.messageID === info.id)
    if (stillHeld) return { message, continue: false }
    if (!info.time.completed) {
      info.time.completed = Date.now()
      info.finish ??= 'tool-calls'
      if (signal.aborted) info.error = toMessageError(undefined, info.providerID, true)
      this.sessions.saveMessage(instance, info)
    }
    return { message, continue: !control.stop && !signal.aborted && !info.error }
  }

  /** The held call runs again when its holder says so and the tool still exists; else it fails. */
  private async settle(
    instance: Instance,
    sessionID: string,
    agent: AgentInfo,
    { outcome }: TurnResume,
    call: { info: AssistantMessage; part: ToolPart; start: number; signal: AbortSignal; control: { stop: boolean } },
  ): Promise<void> {
    const { info, part, signal, control } = call
    const updatePart = partUpdater(instance, this.sessions, this.writer)
    const definition = (await this.kernel.tools.list(instance)).find((tool) => tool.id === part.tool)
    if (outcome.run && definition) {
      const session = this.sessions.get(instance, sessionID)
      const rules = [...agent.permission, ...(session.permission ?? [])]
      const input = part.state.input
      await this.tools
        .runTool({ instance, sessionID, info, agent, definition, part, input, signal, rules, control, updatePart })
        .catch(() => {})
      return
    }
    const error = outcome.run ? `Tool ${part.tool} is no longer available` : outcome.error
    part.state = {
      status: 'error',
      input: part.state.input,
      error,
      time: { start: call.start, end: Date.now() },
    }
    updatePart(part)
    if (!outcome.run && outcome.stop) control.stop = true
  }
}
