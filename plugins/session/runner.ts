import type { LanguageModel, ModelMessage, ToolSet } from 'ai'
import type { FastifyInstance } from 'fastify'
import { NamedError, isNamedError } from '../../kernel/errors.js'
import { ascendingId } from '../../kernel/ids.js'
import type { Instance } from '../../kernel/instance.js'
import type { Kernel } from '../../kernel/plugin.js'
import { checkToolArguments, type PermissionAsk, type ToolContext, type ToolDefinition } from '../../kernel/tool.js'
import type { AgentInfo, PermissionRule } from '../agent/types.js'
import type { ModelInfo } from '../provider/types.js'
import { toModelMessages } from './context.js'
import { compactionRequest, continueRequest, fitHistory, isContextOverflow, isOverflow, partsToPrune, syntheticRequest } from './compaction.js'
import { DEFAULT_STRUCTURED_RETRIES, jsonFormat, STRUCTURED_OUTPUT_INSTRUCTION, STRUCTURED_OUTPUT_REMINDER, STRUCTURED_OUTPUT_TOOL, structuredOutputTool } from './structured.js'
import { SessionCompacted, SessionError } from './events.js'
import { evaluatePermission as evaluate } from '../../sdk/permission.js'
import { PermissionDeniedError, USER_RULES } from './permission.js'
import type {
  AssistantMessage,
  MessageError,
  MessageWithParts,
  Part,
  ReasoningPart,
  StepStartPart,
  SubtaskPart,
  TextPart,
  Tokens,
  ToolPart,
  UserMessage,
} from './schemas.js'
import type { SessionService } from './service.js'
import { instructionFiles, systemPrompt } from './system.js'
import type { InterruptedCallHold, PermissionGate } from './types.js'
import type { PartWriter } from './writer.js'
import type { SessionHistory } from './history.js'
import type { TurnControl, TurnResume, TurnRunner, TurnStart, UserWithParts } from './admission.js'
import { triggerHook } from '../../sdk/hooks.js'
import { autoContinue, chatCallSettings, compactingPrompt, shownTool, transformMessages, transformSystem } from './plugin-hooks.js'

/** Steps a turn may take when the agent sets no limit. */
const DEFAULT_MAX_STEPS = 100
const MAX_RETRIES = 5

/** A tool call left running by a restart, which a plugin (the permission service) will finish. */
interface HeldCall {
  messageID: string
  callID: string
  hold: InterruptedCallHold
}

let ai: typeof import('ai') | undefined
/** The `ai` SDK, imported on first use so start-up does not pay for it. */
async function loadAi(): Promise<typeof import('ai')> {
  return (ai ??= await import('ai'))
}

/**
 * The provider options of one model call: the model's, then the agent's, then the chosen
 * variant's (an unknown variant adds nothing), under the provider's id.
 */
function callOptions(model: ModelInfo, agent: AgentInfo, variant: string | undefined): Record<string, Record<string, never>> | undefined {
  const options = { ...model.options, ...agent.options, ...(variant ? model.variants?.[variant] : undefined) }
  return Object.keys(options).length ? { [model.providerID]: options as Record<string, never> } : undefined
}

/** Whether a reply ended in an error (an abort included). */
const failed = (message: MessageWithParts): boolean => message.info.role === 'assistant' && message.info.error !== undefined

/** A new assistant message (unsaved) answering `parentID`, with no tokens spent yet. */
function assistantMessage(instance: Instance, sessionID: string, parentID: string, model: { providerID: string; modelID: string }, agent: string): AssistantMessage {
  return {
    id: ascendingId('msg'),
    sessionID,
    role: 'assistant',
    time: { created: Date.now() },
    parentID,
    modelID: model.modelID,
    providerID: model.providerID,
    mode: agent,
    agent,
    path: { cwd: instance.directory, root: instance.worktree },
    cost: 0,
    tokens: zeroTokens(),
  }
}

const zeroTokens = (): Tokens => ({ input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } })

/** Which permission gates a tool: edits share `edit`, everything else its own id. */
export function toolPermission(toolID: string): string {
  return ['write', 'edit', 'apply_patch', 'multiedit', 'patch'].includes(toolID) ? 'edit' : toolID
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Turns whatever a step threw into the message error OpenCode clients know. */
export function toMessageError(error: unknown, providerID: string, aborted: boolean): MessageError {
  if (aborted) return { name: 'MessageAbortedError', data: { message: 'Aborted' } }
  const e = error as { name?: string; statusCode?: number; isRetryable?: boolean; responseBody?: string; message?: string }
  if (e && typeof e === 'object' && (e.name === 'AI_APICallError' || typeof e.statusCode === 'number')) {
    const message = errorMessage(error)
    if (e.statusCode === 401 || e.statusCode === 403) return { name: 'ProviderAuthError', data: { providerID, message } }
    return {
      name: 'APIError',
      data: {
        message,
        isRetryable: e.isRetryable ?? false,
        ...(e.statusCode !== undefined ? { statusCode: e.statusCode } : {}),
        ...(e.responseBody ? { responseBody: e.responseBody.slice(0, 10_000) } : {}),
      },
    }
  }
  if (e?.name === 'AI_LoadAPIKeyError') return { name: 'ProviderAuthError', data: { providerID, message: errorMessage(error) } }
  return { name: 'UnknownError', data: { message: errorMessage(error) } }
}

function retryDelay(error: unknown, attempt: number): number {
  const headers = (error as { responseHeaders?: Record<string, string> }).responseHeaders ?? {}
  const ms = Number(headers['retry-after-ms'])
  if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, 60_000)
  const seconds = Number(headers['retry-after'])
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 60_000)
  return Math.min(2000 * 2 ** (attempt - 1), 30_000)
}

function isRetryable(error: unknown): boolean {
  const e = error as { isRetryable?: boolean; statusCode?: number }
  return e?.isRetryable === true || e?.statusCode === 429 || (typeof e?.statusCode === 'number' && e.statusCode >= 500)
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}

/**
 * The agent loop: each turn streams steps from the model, runs the tools it calls, and continues
 * until the model stops. Which prompts a turn answers, and when, is admission's (admission.ts).
 */
export class PromptRunner implements TurnRunner {
  /** Held calls by session id (sessions are global, instances boot later). */
  private readonly held: Map<string, HeldCall[]>
  /** Sessions whose files changed in the running turn (their diff is published when it ends). */
  private readonly changed: Set<string>

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
        part.state = { status: 'error', input: part.state.input, error: 'Tool execution was interrupted (the server stopped)', time: { start: part.state.time.start, end: now } }
        this.sessions.savePart(instance, part)
      }
      if (message && message.info.role === 'assistant' && !message.info.time.completed) {
        message.info.time.completed = now
        message.info.error ??= { name: 'MessageAbortedError', data: { message: 'The server stopped before the reply finished' } }
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
    const parent = message?.info.role === 'assistant' ? this.sessions.store.getMessage(sessionID, message.info.parentID) : undefined
    return parent?.info.role === 'user' ? (parent as UserWithParts) : undefined
  }

  /** Once a loop stops: the session's diff, when its files changed. */
  async finished(instance: Instance, sessionID: string): Promise<void> {
    if (!this.changed.delete(sessionID)) return
    await this.history.publishDiff(instance, sessionID).catch((error) => this.kernel.log.warn({ err: error, sessionID }, 'session diff failed'))
  }

  /**
   * One turn: steps until the model stops. Before each step (and each message the loop adds), the
   * prompts that arrived meanwhile join (`control.take`); the newest becomes the one the step
   * answers, with its agent, model and format.
   */
  async turn(instance: Instance, sessionID: string, start: TurnStart, control: TurnControl): Promise<MessageWithParts> {
    const { signal } = control
    let agent = start.agent ?? (await this.app.agents.get(instance, start.user.info.agent)) ?? (await this.app.agents.defaultAgent(instance))
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
        last = await this.runSubtask(instance, sessionID, start.user, subtask, agent, control)
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
      const outcome = await this.step(instance, sessionID, user, control, agent, modelInfo)
      last = outcome.message
      const maxSteps = agent.steps ?? DEFAULT_MAX_STEPS
      if (!recovered && !signal.aborted && isContextOverflow((outcome.message.info as AssistantMessage).error)) {
        // The request no longer fits the context: summarize what fits of it, then go on from there.
        recovered = true
        const summary = await this.summarize(instance, sessionID, () => (join(), this.saveUser(instance, compactionRequest(user.info, true))), control, modelInfo, { fit: true })
        if (failed(summary) || !(await autoContinue(this.kernel, instance, { sessionID, agent, model: modelInfo, message: user.info, overflow: true }))) break
        follow(continueRequest)
        continue
      }
      if (failed(outcome.message) || signal.aborted || outcome.stop) break
      const overflow = isOverflow((outcome.message.info as AssistantMessage).tokens, modelInfo, this.kernel.config(instance))
      const more = outcome.finish === 'tool-calls' && step < maxSteps
      if (overflow) {
        // Near the context limit: summarize now, so the next step (or the next prompt) starts small.
        // Prompts waiting now join before the request, so the summary covers them and the turn goes
        // on to answer them (the next turn would start after the request and never see them).
        let joined = false
        const summary = await this.summarize(instance, sessionID, () => ((joined = join()), this.saveUser(instance, compactionRequest(user.info, true))), control, modelInfo)
        if (!more && !joined) break
        if (failed(summary)) {
          last = summary
          break
        }
        if (!(await autoContinue(this.kernel, instance, { sessionID, agent, model: modelInfo, message: user.info, overflow: true }))) break
        follow(continueRequest)
        continue
      }
      if (!more) {
        // Asked for structured output and answered without it: remind the model, a few times
        // (prompts waiting to join get the next turn instead).
        if (wanted && !control.waiting().size && reminders < (wanted.retryCount ?? DEFAULT_STRUCTURED_RETRIES) && step < maxSteps) {
          reminders++
          user = this.saveUser(instance, syntheticRequest(user.info, STRUCTURED_OUTPUT_REMINDER))
          continue
        }
        break
      }
    }
    if (wanted && last && !failed(last) && !signal.aborted && (last.info as AssistantMessage).structured === undefined) {
      const info = last.info as AssistantMessage
      info.error = { name: 'StructuredOutputError', data: { message: `The model did not call the ${STRUCTURED_OUTPUT_TOOL} tool`, retries: reminders } }
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
    for (const part of partsToPrune(store.allMessages(sessionID, store.lastSummaryRequest(sessionID)))) {
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
    const agent = (await this.app.agents.get(instance, 'compaction')) ?? { name: 'compaction', mode: 'primary' as const, permission: [], options: {} }
    control.setStatus({ type: 'busy' })
    const { message } = await this.step(instance, sessionID, request(), control, agent, model, { summary: true, fit: options.fit })
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
        await this.runTool({ instance, sessionID, info, agent, definition, part, input: part.state.input, signal, rules, control, updatePart }).catch(() => {})
      } else {
        const error = outcome.run ? `Tool ${part.tool} is no longer available` : outcome.error
        part.state = { status: 'error', input: part.state.input, error, time: { start: part.state.time.start, end: Date.now() } }
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

  /** Runs a subtask part with the `task` tool, in an assistant message of its own. */
  private async runSubtask(
    instance: Instance,
    sessionID: string,
    user: MessageWithParts & { info: UserMessage },
    subtask: SubtaskPart,
    agent: AgentInfo,
    control: TurnControl,
  ): Promise<MessageWithParts> {
    const { signal } = control
    control.setStatus({ type: 'busy' })
    const input = { description: subtask.description, prompt: subtask.prompt, subagent_type: subtask.agent, ...(subtask.command ? { command: subtask.command } : {}) }
    const definition = (await this.kernel.tools.list(instance)).find((tool) => tool.id === 'task')
    return this.runUserTool({
      instance,
      sessionID,
      parentID: user.info.id,
      model: subtask.model ?? user.info.model,
      mode: subtask.agent,
      agent,
      tool: 'task',
      definition,
      input,
      signal,
      finish: 'tool-calls',
    })
  }

  /**
   * A tool call the user asked for (a shell command, a command's subtask), without the model: one
   * assistant message holding the tool part, which streams while the tool runs. No permission is
   * asked; a missing tool is an error part.
   */
  async runUserTool(call: {
    instance: Instance
    sessionID: string
    parentID: string
    model: { providerID: string; modelID: string }
    /** The message's agent and mode (a subtask's subagent). */
    mode: string
    agent: AgentInfo
    tool: string
    definition: ToolDefinition | undefined
    input: Record<string, unknown>
    signal: AbortSignal
    finish?: string
  }): Promise<MessageWithParts> {
    const { instance, sessionID, input, signal } = call
    const info = assistantMessage(instance, sessionID, call.parentID, call.model, call.mode)
    this.sessions.saveMessage(instance, info)
    const part: ToolPart = { id: ascendingId('prt'), sessionID, messageID: info.id, type: 'tool', callID: ascendingId('call'), tool: call.tool, state: { status: 'pending', input: {}, raw: '' } }
    this.sessions.savePart(instance, part)
    const updatePart = (changed: Part, persist: 'now' | 'later' = 'now') =>
      persist === 'now' ? this.sessions.savePart(instance, changed) : this.sessions.publishPart(instance, changed)
    if (call.definition) {
      await this.runTool({ instance, sessionID, info, agent: call.agent, definition: call.definition, part, input, signal, rules: USER_RULES, control: { stop: false }, updatePart }).catch(() => {})
    } else {
      const now = Date.now()
      part.state = { status: 'error', input, error: `The ${call.tool} tool is not available`, time: { start: now, end: now } }
      updatePart(part)
    }
    info.time.completed = Date.now()
    if (call.finish) info.finish = call.finish
    if (signal.aborted) info.error = toMessageError(undefined, info.providerID, true)
    this.sessions.saveMessage(instance, info)
    return { info, parts: [part] }
  }

  /**
   * The messages the model sees: everything since the last summary, except prompts that arrived
   * after this step began (they join at the next step).
   */
  private visibleHistory(sessionID: string, control: TurnControl): MessageWithParts[] {
    const waiting = control.waiting()
    // After a compaction the history starts at the request the summary answered.
    const history = this.sessions.store.allMessages(sessionID, this.sessions.store.lastSummaryRequest(sessionID))
    return waiting.size ? history.filter((m) => !waiting.has(m.info.id)) : history
  }

  /** One model call and the tools it calls, as one assistant message answering `user`. A summary step has no tools. */
  private async step(
    instance: Instance,
    sessionID: string,
    user: UserWithParts,
    turn: TurnControl,
    agent: AgentInfo,
    model: ModelInfo,
    options: { summary?: boolean; fit?: boolean } = {},
  ): Promise<{ message: MessageWithParts; finish?: string; stop: boolean }> {
    // Made before any await: the message's id fixes its place among prompts arriving meanwhile.
    const info = assistantMessage(instance, sessionID, user.info.id, { providerID: model.providerID, modelID: model.id }, agent.name)
    if (options.summary) info.summary = true
    const parts: Part[] = []
    this.sessions.saveMessage(instance, info)
    const { signal } = turn
    const { streamText } = await loadAi()
    const addPart = (part: Part) => {
      parts.push(part)
      this.writer.save(part)
      this.sessions.publishPart(instance, part)
    }
    const updatePart = (part: Part, persist: 'now' | 'later' = 'now') => {
      if (persist === 'now') this.writer.save(part)
      else this.writer.schedule(part)
      this.sessions.publishPart(instance, part)
    }
    const stepStart: StepStartPart = { id: ascendingId('prt'), sessionID, messageID: info.id, type: 'step-start' }
    addPart(stepStart)
    // Taken before the step's first tool runs: only tools change files, streaming text does not.
    let snapshot: Promise<string | undefined> | undefined
    const beforeTool = () => (snapshot ??= this.track(instance))

    const config = this.kernel.config(instance)
    const wanted = options.summary ? undefined : jsonFormat(user.info.format)
    const system = await transformSystem(this.kernel, instance, sessionID, model, systemPrompt({
      instance,
      agentPrompt: agent.prompt,
      instructionPaths: instructionFiles(instance, this.kernel.paths.config, config.instructions),
      userSystem: user.info.system,
      modelID: model.id,
      providerID: model.providerID,
    }))
    const history = await transformMessages(this.kernel, instance, this.visibleHistory(sessionID, turn))
    const messages: ModelMessage[] = toModelMessages(options.fit ? fitHistory(history, model) : history)
    if (options.summary) await compactingPrompt(this.kernel, instance, sessionID, messages)
    const languageModel: LanguageModel = await this.app.providers.languageModel(instance, { providerID: model.providerID, modelID: model.id })

    const control = { stop: false }
    const toolParts = new Map<string, ToolPart>()
    const extra = wanted ? [structuredOutputTool(wanted, info, control)] : []
    const tools = options.summary ? {} : await this.toolSet(instance, sessionID, info, agent, user.info.tools, signal, toolParts, addPart, updatePart, control, beforeTool, extra)
    if (wanted) system.push(STRUCTURED_OUTPUT_INSTRUCTION)

    const settings = await chatCallSettings(this.kernel, instance, { sessionID, agent, model, message: user.info }, { temperature: model.capabilities.temperature ? agent.temperature : undefined, topP: agent.topP, providerOptions: callOptions(model, agent, user.info.model.variant) })
    let finish: string | undefined
    let usage: { input: number; output: number; reasoning: number; cacheRead: number; cacheWrite: number } | undefined
    for (let attempt = 1; ; attempt++) {
      let produced = false
      let streamError: unknown
      try {
        const result = streamText({
          model: languageModel,
          system: system.join('\n\n'),
          messages,
          tools,
          abortSignal: signal,
          maxRetries: 0,
          ...settings,
          onError: () => {},
        })
        const open = new Map<string, TextPart | ReasoningPart>()
        for await (const chunk of result.fullStream) {
          switch (chunk.type) {
            case 'text-start':
            case 'reasoning-start': {
              produced = true
              const type = chunk.type === 'text-start' ? 'text' : 'reasoning'
              const part = { id: ascendingId('prt'), sessionID, messageID: info.id, type, text: '', time: { start: Date.now() } } as TextPart | ReasoningPart
              open.set(`${type}:${chunk.id}`, part)
              addPart(part)
              break
            }
            case 'text-delta':
            case 'reasoning-delta': {
              const part = open.get(`${chunk.type === 'text-delta' ? 'text' : 'reasoning'}:${chunk.id}`)
              if (!part || !chunk.text) break
              part.text += chunk.text
              this.sessions.publishDelta(instance, sessionID, info.id, part.id, chunk.text)
              this.writer.schedule(part)
              break
            }
            case 'text-end':
            case 'reasoning-end': {
              const key = `${chunk.type === 'text-end' ? 'text' : 'reasoning'}:${chunk.id}`
              const part = open.get(key)
              if (!part) break
              open.delete(key)
              part.text = part.text.trimEnd()
              if (part.type === 'text') part.text = (await triggerHook(this.kernel, instance, 'experimental.text.complete', { sessionID, messageID: info.id, partID: part.id }, { text: part.text })).text
              part.time = { start: part.time?.start ?? Date.now(), end: Date.now() }
              updatePart(part)
              break
            }
            case 'tool-input-start': {
              produced = true
              if (toolParts.has(chunk.id)) break
              const part: ToolPart = { id: ascendingId('prt'), sessionID, messageID: info.id, type: 'tool', callID: chunk.id, tool: chunk.toolName, state: { status: 'pending', input: {}, raw: '' } }
              toolParts.set(chunk.id, part)
              addPart(part)
              break
            }
            case 'tool-input-delta': {
              const part = toolParts.get(chunk.id)
              if (part?.state.status === 'pending') part.state.raw += chunk.delta
              break
            }
            case 'tool-call': {
              produced = true
              if (toolParts.has(chunk.toolCallId)) break
              const part: ToolPart = {
                id: ascendingId('prt'),
                sessionID,
                messageID: info.id,
                type: 'tool',
                callID: chunk.toolCallId,
                tool: chunk.toolName,
                state: { status: 'pending', input: (chunk.input ?? {}) as Record<string, unknown>, raw: '' },
              }
              toolParts.set(chunk.toolCallId, part)
              addPart(part)
              break
            }
            case 'tool-error': {
              // Errors the SDK raises before our execute runs (unknown tool, unparsable input).
              const part = toolParts.get(chunk.toolCallId)
              if (part && (part.state.status === 'pending' || part.state.status === 'running')) {
                const start = part.state.status === 'running' ? part.state.time.start : Date.now()
                part.state = { status: 'error', input: (chunk.input ?? {}) as Record<string, unknown>, error: errorMessage(chunk.error), time: { start, end: Date.now() } }
                updatePart(part)
              }
              break
            }
            case 'finish-step': {
              const cacheRead = chunk.usage.inputTokenDetails?.cacheReadTokens ?? 0
              const cacheWrite = chunk.usage.inputTokenDetails?.cacheWriteTokens ?? 0
              usage = {
                input: Math.max(0, (chunk.usage.inputTokens ?? 0) - cacheRead - cacheWrite),
                output: chunk.usage.outputTokens ?? 0,
                reasoning: chunk.usage.outputTokenDetails?.reasoningTokens ?? 0,
                cacheRead,
                cacheWrite,
              }
              finish = chunk.finishReason
              break
            }
            case 'error':
              streamError = chunk.error
              break
          }
        }
        // Parts a broken stream left open still keep what was streamed.
        for (const part of open.values()) {
          part.time = { start: part.time?.start ?? Date.now(), end: Date.now() }
          updatePart(part)
        }
        if (streamError) throw streamError
        break
      } catch (error) {
        if (!signal.aborted && !produced && attempt <= MAX_RETRIES && isRetryable(error)) {
          const delay = retryDelay(error, attempt)
          turn.setStatus({ type: 'retry', attempt, message: errorMessage(error), next: Date.now() + delay })
          await sleep(delay, signal)
          if (!signal.aborted) {
            turn.setStatus({ type: 'busy' })
            continue
          }
        }
        info.error = toMessageError(error, model.providerID, signal.aborted)
        if (!signal.aborted) this.kernel.log.warn({ err: error, sessionID }, 'model call failed')
        break
      }
    }
    if (signal.aborted && !info.error) info.error = toMessageError(undefined, model.providerID, true)

    // Tools still pending or running when the step ends (an abort) are failed, never left dangling.
    for (const part of toolParts.values()) {
      if (part.state.status !== 'pending' && part.state.status !== 'running') continue
      const start = part.state.status === 'running' ? part.state.time.start : Date.now()
      part.state = { status: 'error', input: part.state.input, error: signal.aborted ? 'Tool execution aborted' : 'Tool execution did not finish', time: { start, end: Date.now() } }
      updatePart(part)
    }

    const tokens: Tokens = usage
      ? { total: usage.input + usage.output + usage.cacheRead + usage.cacheWrite, input: usage.input, output: usage.output, reasoning: usage.reasoning, cache: { read: usage.cacheRead, write: usage.cacheWrite } }
      : zeroTokens()
    const cost = usage
      ? (usage.input * model.cost.input + usage.output * model.cost.output + usage.cacheRead * model.cost.cache.read + usage.cacheWrite * model.cost.cache.write) / 1_000_000
      : 0
    const finishSnapshot = snapshot ? await this.recordPatch(instance, info, stepStart, await snapshot, addPart) : undefined
    if (usage || !info.error) {
      addPart({ id: ascendingId('prt'), sessionID, messageID: info.id, type: 'step-finish', reason: finish ?? 'unknown', cost, tokens, ...(finishSnapshot ? { snapshot: finishSnapshot } : {}) })
    }
    info.tokens = tokens
    info.cost = cost
    if (finish) info.finish = finish
    info.time.completed = Date.now()
    this.writer.flush()
    this.sessions.saveMessage(instance, info)
    if (info.error) this.kernel.publish(instance, SessionError, { sessionID, error: info.error })
    if (usage) {
      this.sessions.update(instance, sessionID, (s) => {
        s.cost += cost
        s.tokens.input += tokens.input
        s.tokens.output += tokens.output
        s.tokens.reasoning += tokens.reasoning
        s.tokens.cache.read += tokens.cache.read
        s.tokens.cache.write += tokens.cache.write
      }, { touch: true })
    }
    return { message: { info, parts }, finish, stop: control.stop }
  }

  /** The tools this agent may use in this step, wrapped so their parts and permissions are tracked. */
  private async toolSet(
    instance: Instance,
    sessionID: string,
    info: AssistantMessage,
    agent: AgentInfo,
    userTools: Record<string, boolean> | undefined,
    signal: AbortSignal,
    toolParts: Map<string, ToolPart>,
    addPart: (part: Part) => void,
    updatePart: (part: Part, persist?: 'now' | 'later') => void,
    control: { stop: boolean },
    beforeTool: () => Promise<unknown>,
    /** Tools of this step only (structured output), offered whatever the rules say. */
    extra: ToolDefinition[] = [],
  ): Promise<ToolSet> {
    const { jsonSchema, tool } = await loadAi()
    const session = this.sessions.get(instance, sessionID)
    const rules = [...agent.permission, ...(session.permission ?? [])]
    const out: ToolSet = {}
    for (const definition of [...(await this.kernel.tools.list(instance)), ...extra]) {
      const own = extra.includes(definition)
      if (!own && (agent.tools?.[definition.id] === false || userTools?.[definition.id] === false)) continue
      const gate = evaluate(rules, toolPermission(definition.id), '*')
      if (!own && gate.action === 'deny' && gate.pattern === '*') continue
      const shown = await shownTool(this.kernel, instance, definition)
      out[definition.id] = tool({
        description: shown.description,
        inputSchema: jsonSchema(shown.parameters as Parameters<typeof jsonSchema>[0]),
        execute: async (input: unknown, options: { toolCallId: string }) => {
          let part = toolParts.get(options.toolCallId)
          if (!part) {
            part = { id: ascendingId('prt'), sessionID, messageID: info.id, type: 'tool', callID: options.toolCallId, tool: definition.id, state: { status: 'pending', input: {}, raw: '' } }
            toolParts.set(options.toolCallId, part)
            addPart(part)
          }
          await beforeTool()
          return this.runTool({ instance, sessionID, info, agent, definition, part, input, signal, rules, control, updatePart })
        },
      })
    }
    return out
  }

  /**
   * Runs one tool call: the part goes running → completed or error, permissions are asked under
   * `rules`. Returns the output for the model; throws with the message the model sees.
   */
  async runTool(call: {
    instance: Instance
    sessionID: string
    info: AssistantMessage
    agent: AgentInfo
    definition: ToolDefinition
    part: ToolPart
    input: unknown
    signal: AbortSignal
    rules: PermissionRule[]
    control: { stop: boolean }
    updatePart: (part: Part, persist?: 'now' | 'later') => void
  }): Promise<string> {
    const { instance, sessionID, info, definition, signal, updatePart } = call
    const running = call.part
    let args = (call.input ?? {}) as Record<string, unknown>
    const start = Date.now()
    running.state = { status: 'running', input: args, time: { start } }
    updatePart(running)
    const context: ToolContext = {
      instance,
      sessionID,
      messageID: info.id,
      callID: running.callID,
      agent: call.agent.name,
      model: { providerID: info.providerID, modelID: info.modelID },
      abort: signal,
      metadata: (update) => {
        if (running.state.status !== 'running') return
        if (update.title !== undefined) running.state.title = update.title
        if (update.metadata !== undefined) running.state.metadata = update.metadata
        updatePart(running, 'later')
      },
      ask: (request) => this.ask(instance, sessionID, info.id, running.callID, call.rules, request, signal),
    }
    try {
      args = (await triggerHook(this.kernel, instance, 'tool.execute.before', { tool: definition.id, sessionID, callID: running.callID }, { args })).args
      checkToolArguments(definition, args)
      const result = await triggerHook(this.kernel, instance, 'tool.execute.after', { tool: definition.id, sessionID, callID: running.callID, args }, await definition.execute(args, context))
      if (signal.aborted) throw new Error('Tool execution aborted')
      running.state = {
        status: 'completed',
        input: args,
        output: result.output,
        title: result.title,
        metadata: result.metadata ?? {},
        time: { start, end: Date.now() },
        ...(result.attachments?.length ? { attachments: result.attachments.map((a) => ({ ...a, id: ascendingId('prt'), sessionID, messageID: info.id, type: 'file' })) } : {}),
      }
      updatePart(running)
      return result.output
    } catch (error) {
      const message = signal.aborted ? 'Tool execution aborted' : errorMessage(error)
      const metadata = running.state.status === 'running' ? running.state.metadata : undefined
      running.state = { status: 'error', input: args, error: message, time: { start, end: Date.now() }, ...(metadata ? { metadata } : {}) }
      updatePart(running)
      if (isNamedError(error) && (error.data as { stop?: boolean }).stop) call.control.stop = true
      throw new Error(message)
    }
  }

  /** A worktree snapshot when the snapshot plugin runs (and the project is in git). */
  private async track(instance: Instance): Promise<string | undefined> {
    if (!this.app.hasDecorator('snapshots')) return undefined
    try {
      return await this.app.snapshots.track(instance)
    } catch (error) {
      this.kernel.log.warn({ err: error }, 'snapshot failed')
      return undefined
    }
  }

  /**
   * After a step whose tools ran: the step-start part gets the snapshot taken before them, a
   * `patch` part lists the files they changed, and the snapshot after them is returned (the
   * same `git add` gives both).
   */
  private async recordPatch(
    instance: Instance,
    info: AssistantMessage,
    stepStart: StepStartPart,
    hash: string | undefined,
    addPart: (part: Part) => void,
  ): Promise<string | undefined> {
    if (!hash) return undefined
    // Stored, not published again: clients count a step-start part update as a new step.
    stepStart.snapshot = hash
    this.writer.save(stepStart)
    try {
      const patch = await this.app.snapshots.patch(instance, hash)
      if (patch.files.length) {
        addPart({ id: ascendingId('prt'), sessionID: info.sessionID, messageID: info.id, type: 'patch', hash, files: patch.files })
        this.changed.add(info.sessionID)
      }
      return patch.after
    } catch (error) {
      this.kernel.log.warn({ err: error }, 'snapshot patch failed')
      return undefined
    }
  }

  /** Rules first: allow passes, deny fails; `ask` goes to the permission plugin when there is one. */
  private async ask(
    instance: Instance,
    sessionID: string,
    messageID: string,
    callID: string,
    rules: PermissionRule[],
    request: PermissionAsk,
    signal: AbortSignal,
  ): Promise<void> {
    const needed: string[] = []
    for (const pattern of request.patterns) {
      const rule = evaluate(rules, request.permission, pattern)
      if (rule.action === 'deny') throw new PermissionDeniedError(rules.filter((r) => r.permission === request.permission || r.permission === '*'))
      if (rule.action === 'ask') needed.push(pattern)
    }
    if (needed.length === 0) return
    const gate = (this.app as FastifyInstance & { permissionGate?: PermissionGate }).permissionGate
    if (!gate) throw new NamedError('PermissionDeniedError', 403, { message: `Permission "${request.permission}" needs approval for ${needed.join(', ')}, and no permission service is running.` })
    await gate.ask(instance, { ...request, sessionID, messageID, callID, rules }, signal)
  }


}
