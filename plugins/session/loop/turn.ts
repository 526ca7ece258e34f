// One turn of the agent loop: steps until the model stops, with summaries when the context runs
// out and the calls a restart left held. The walk of a prompt is in ../index.ts.
import type { FastifyInstance } from 'fastify'
import { type Instance, type Kernel } from '../../../sdk/index.js'
import type { AgentInfo } from '../../agent/types.js'
import type { ModelInfo } from '../../provider/types.js'
import type { TurnControl, TurnResume, TurnRunner, TurnStart, UserWithParts } from './admission.js'
import {
  compactionRequest,
  continueRequest,
  isContextOverflow,
  isOverflow,
  partsToPrune,
  syntheticRequest,
} from './compaction.js'
import { SessionCompacted, SessionError } from '../events.js'
import type { SessionHistory } from '../store/history.js'
import { autoContinue } from './plugin-hooks.js'
import type { AssistantMessage, MessageWithParts, Part, ToolPart, UserMessage } from '../schemas.js'
import type { SessionService } from '../store/service.js'
import { toMessageError } from './assistant-message.js'
import { StepRunner } from './step.js'
import {
  DEFAULT_STRUCTURED_RETRIES,
  jsonFormat,
  STRUCTURED_OUTPUT_REMINDER,
  STRUCTURED_OUTPUT_TOOL,
} from './structured-output.js'
import { ToolCalls } from './tool-call.js'
import type { InterruptedCallHold } from '../types.js'
import { UserTools, type UserToolCall } from './user-tools.js'
import type { PartWriter } from '../store/part-writer.js'

/** Steps a turn may take when the agent sets no limit. */
const DEFAULT_MAX_STEPS = 100

/** A tool call left running by a restart, which a plugin (the permission service) will finish. */
interface HeldCall {
  messageID: string
  callID: string
  hold: InterruptedCallHold
}

/** Whether a reply ended in an error (an abort included). */
const failed = (message: MessageWithParts): boolean =>
  message.info.role === 'assistant' && message.info.error !== undefined

/**
 * The agent loop: each turn streams steps from the model, runs the tools it calls, and continues
 * until the model stops. Which prompts a turn answers, and when, is admission's (admission.ts).
 */
export class PromptRunner implements TurnRunner {
  /** Held calls by session id (sessions are global, instances boot later). */
  private readonly held: Map<string, HeldCall[]>
  /** Sessions whose files changed in the running turn (their diff is published when it ends). */
  private readonly changed: Set<string>
  private readonly tools: ToolCalls
  private readonly steps: StepRunner
  private readonly userTools: UserTools

  constructor(
    private readonly app: FastifyInstance,
    private readonly kernel: Kernel,
    private readonly sessions: SessionService,
    private readonly writer: PartWriter,
    private readonly history: SessionHistory,
  ) {
    // Kept by the kernel: turns running when dev mode reloads this plugin finish in the old code.
    this.held = kernel.keep('session.held', () => new Map())
    this.changed = kernel.keep('session.changed', () => new Set())
    this.tools = new ToolCalls(app, kernel, sessions)
    this.steps = new StepRunner(app, kernel, sessions, writer, this.changed, this.tools)
    this.userTools = new UserTools(kernel, sessions, this.tools)
  }

  /** A tool call the user asked for, without the model (user-tools.ts; the shell route's). */
  runUserTool(call: UserToolCall): Promise<MessageWithParts> {
    return this.userTools.runUserTool(call)
  }

  /** Records a call a restart left waiting; it stays `running` until resumed or released. */
  holdCall(sessionID: string, call: HeldCall): void {
    const calls = this.held.get(sessionID) ?? []
    calls.push(call)
    this.held.set(sessionID, calls)
  }

  /** Fails the session's held calls (their message ends aborted) and tells their holders. */
  releaseHeld(instance: Instance, sessionID: string): void {
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

  /** Once a loop stops: the session's diff, when its files changed. */
  async finished(instance: Instance, sessionID: string): Promise<void> {
    if (!this.changed.delete(sessionID)) return
    await this.history
      .publishDiff(instance, sessionID)
      .catch((error) => this.kernel.log.warn({ err: error, sessionID }, 'session diff failed'))
  }

  /**
   * One turn: steps until the model stops. Before each step (and each message the loop adds), the
   * prompts that arrived meanwhile join (`control.take`); the newest becomes the one the step
   * answers, with its agent, model and format.
   */
  async turn(instance: Instance, sessionID: string, start: TurnStart, control: TurnControl): Promise<MessageWithParts> {
    const { signal } = control
    let agent =
      start.agent ??
      (await this.app.agents.get(instance, start.user.info.agent)) ??
      (await this.app.agents.defaultAgent(instance))
    let modelInfo = start.model ?? (await this.app.providers.model(instance, start.user.info.model))
    let last: MessageWithParts | undefined
    if (start.resume) {
      const resumed = await this.finishHeldCall(instance, sessionID, agent, start.resume, control)
      if (!resumed.continue) return resumed.message
      last = resumed.message
    } else {
      // Subtasks the prompt carries (a command's) run first, each as a `task` call; the model then
      // continues with their results.
      for (const subtask of start.user.parts) {
        if (subtask.type !== 'subtask') continue
        last = await this.userTools.runSubtask(instance, sessionID, start.user, subtask, agent, control)
        if (signal.aborted) return last
      }
    }
    let user = start.user
    let wanted = start.resume ? undefined : jsonFormat(user.info.format)
    let reminders = 0
    /** Lets waiting prompts join; true when one did (it is now the prompt being answered). */
    const join = (): boolean => {
      const joined = control.take()
      if (!joined) return false
      ;({ user, agent, model: modelInfo } = joined)
      wanted = jsonFormat(user.info.format)
      reminders = 0
      return true
    }
    /** Adds a synthetic user message, unless a prompt that just joined takes its place. */
    const follow = (make: (like: UserMessage) => UserWithParts): void => {
      if (!join()) user = this.saveUser(instance, make(user.info))
    }
    const request = start.resume ? undefined : user.parts.find((part) => part.type === 'compaction')
    if (request) {
      // A summary asked for with `POST …/summarize`; `auto` continues the work after it.
      const summary = await this.summarize(instance, sessionID, () => user, control, modelInfo)
      if (!request.auto || failed(summary)) return summary
      follow(continueRequest)
    }
    let recovered = false
    for (let step = 1; ; step++) {
      control.setStatus({ type: 'busy' })
      join()
      // No await between joining and the step's message getting its id (the first thing step does).
      const outcome = await this.steps.step(instance, sessionID, user, control, agent, modelInfo)
      last = outcome.message
      const maxSteps = agent.steps ?? DEFAULT_MAX_STEPS
      if (!recovered && !signal.aborted && isContextOverflow((outcome.message.info as AssistantMessage).error)) {
        // The request no longer fits the context: summarize what fits of it, then go on from there.
        recovered = true
        const summary = await this.summarize(
          instance,
          sessionID,
          () => (join(), this.saveUser(instance, compactionRequest(user.info, true))),
          control,
          modelInfo,
          { fit: true },
        )
        if (
          failed(summary) ||
          !(await autoContinue(this.kernel, instance, {
            sessionID,
            agent,
            model: modelInfo,
            message: user.info,
            overflow: true,
          }))
        )
          break
        follow(continueRequest)
        continue
      }
      if (failed(outcome.message) || signal.aborted || outcome.stop) break
      const overflow = isOverflow(
        (outcome.message.info as AssistantMessage).tokens,
        modelInfo,
        this.kernel.config(instance),
      )
      const more = outcome.finish === 'tool-calls' && step < maxSteps
      if (overflow) {
        // Near the context limit: summarize now, so the next step (or the next prompt) starts small.
        // Prompts waiting now join before the request, so the summary covers them and the turn goes
        // on to answer them (the next turn would start after the request and never see them).
        let joined = false
        const summary = await this.summarize(
          instance,
          sessionID,
          () => ((joined = join()), this.saveUser(instance, compactionRequest(user.info, true))),
          control,
          modelInfo,
        )
        if (!more && !joined) break
        if (failed(summary)) {
          last = summary
          break
        }
        if (
          !(await autoContinue(this.kernel, instance, {
            sessionID,
            agent,
            model: modelInfo,
            message: user.info,
            overflow: true,
          }))
        )
          break
        follow(continueRequest)
        continue
      }
      if (!more) {
        // Asked for structured output and answered without it: remind the model, a few times
        // (prompts waiting to join get the next turn instead).
        if (
          wanted &&
          !control.waiting().size &&
          reminders < (wanted.retryCount ?? DEFAULT_STRUCTURED_RETRIES) &&
          step < maxSteps
        ) {
          reminders++
          user = this.saveUser(instance, syntheticRequest(user.info, STRUCTURED_OUTPUT_REMINDER))
          continue
        }
        break
      }
    }
    if (
      wanted &&
      last &&
      !failed(last) &&
      !signal.aborted &&
      (last.info as AssistantMessage).structured === undefined
    ) {
      const info = last.info as AssistantMessage
      info.error = {
        name: 'StructuredOutputError',
        data: { message: `The model did not call the ${STRUCTURED_OUTPUT_TOOL} tool`, retries: reminders },
      }
      this.sessions.saveMessage(instance, info)
      this.kernel.publish(instance, SessionError, { sessionID, error: info.error })
    }
    if (!signal.aborted) this.prune(instance, sessionID)
    return last!
  }

  /** Marks old tool output as cleared for later model calls (config `compaction.prune: false` keeps it). */
  private prune(instance: Instance, sessionID: string): void {
    const settings = (this.kernel.config(instance).compaction ?? {}) as { prune?: boolean }
    if (settings.prune === false) return
    const store = this.sessions.store
    const now = Date.now()
    for (const cached of partsToPrune(store.history(sessionID))) {
      // The store's cached history is shared: change a copy (saving it updates the cache).
      const part = structuredClone(cached)
      if (part.state.status !== 'completed') continue
      part.state.time.compacted = now
      this.sessions.savePart(instance, part)
    }
  }

  private saveUser(instance: Instance, user: UserWithParts): UserWithParts {
    this.sessions.saveMessage(instance, user.info)
    for (const part of user.parts) this.sessions.savePart(instance, part)
    return user
  }

  /**
   * The compaction agent answers the request with a summary of the history; `session.compacted`
   * when it did. `request` stores the request right before the summary's message is made.
   */
  private async summarize(
    instance: Instance,
    sessionID: string,
    request: () => UserWithParts,
    control: TurnControl,
    model: ModelInfo,
    options: { fit?: boolean } = {},
  ): Promise<MessageWithParts> {
    const agent = (await this.app.agents.get(instance, 'compaction')) ?? {
      name: 'compaction',
      mode: 'primary' as const,
      permission: [],
      options: {},
    }
    control.setStatus({ type: 'busy' })
    const { message } = await this.steps.step(instance, sessionID, request(), control, agent, model, {
      summary: true,
      fit: options.fit,
    })
    if (!failed(message)) this.kernel.publish(instance, SessionCompacted, { sessionID })
    return message
  }

  /**
   * Runs (or fails) a call a restart interrupted and completes its message when it was the last
   * one held. `continue` says whether the loop goes on to the next step.
   */
  private async finishHeldCall(
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
    const updatePart = (changed: Part, persist: 'now' | 'later' = 'now') => {
      if (persist === 'now') this.writer.save(changed)
      else this.writer.schedule(changed)
      this.sessions.publishPart(instance, changed)
    }
    if (part && part.state.status === 'running') {
      turn.setStatus({ type: 'busy' })
      const { outcome } = resume
      const definition = (await this.kernel.tools.list(instance)).find((tool) => tool.id === part.tool)
      if (outcome.run && definition) {
        const session = this.sessions.get(instance, sessionID)
        const rules = [...agent.permission, ...(session.permission ?? [])]
        await this.tools
          .runTool({
            instance,
            sessionID,
            info,
            agent,
            definition,
            part,
            input: part.state.input,
            signal,
            rules,
            control,
            updatePart,
          })
          .catch(() => {})
      } else {
        const error = outcome.run ? `Tool ${part.tool} is no longer available` : outcome.error
        part.state = {
          status: 'error',
          input: part.state.input,
          error,
          time: { start: part.state.time.start, end: Date.now() },
        }
        updatePart(part)
        if (!outcome.run && outcome.stop) control.stop = true
      }
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
}
