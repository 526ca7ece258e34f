// One step: one model call streamed into parts (text, reasoning, tool calls), retried while the
// provider allows, with the worktree snapshots around the tools it runs.
import type { LanguageModel, ModelMessage } from 'ai'
import type { FastifyInstance } from 'fastify'
import { ascendingId, type Instance, type Kernel } from '../../../sdk/index.js'
import { triggerHook } from '../../../sdk/hooks.js'
import type { AgentInfo } from '../../agent/types.js'
import type { ModelInfo } from '../../provider/types.js'
import type { TurnControl, UserWithParts } from './admission.js'
import { fitHistory } from './compaction.js'
import { toModelMessages } from './model-messages.js'
import { SessionError } from '../events.js'
import { chatCallSettings, compactingPrompt, transformMessages, transformSystem } from './plugin-hooks.js'
import { errorMessage, loadAi } from './ai-sdk.js'
import type {
  AssistantMessage,
  MessageError,
  MessageWithParts,
  Part,
  ReasoningPart,
  StepStartPart,
  TextPart,
  Tokens,
  ToolPart,
} from '../schemas.js'
import type { SessionService } from '../store/service.js'
import { jsonFormat, STRUCTURED_OUTPUT_INSTRUCTION, structuredOutputTool } from './structured-output.js'
import { instructionFiles, systemPrompt } from './system-prompt.js'
import type { ToolCalls } from './tool-call.js'
import type { PartWriter } from '../store/part-writer.js'

const MAX_RETRIES = 5

/**
 * The provider options of one model call: the model's, then the agent's, then the chosen
 * variant's (an unknown variant adds nothing), under the provider's id.
 */
function callOptions(
  model: ModelInfo,
  agent: AgentInfo,
  variant: string | undefined,
): Record<string, Record<string, never>> | undefined {
  const options = { ...model.options, ...agent.options, ...(variant ? model.variants?.[variant] : undefined) }
  return Object.keys(options).length ? { [model.providerID]: options as Record<string, never> } : undefined
}

/** A new assistant message (unsaved) answering `parentID`, with no tokens spent yet. */
export function assistantMessage(
  instance: Instance,
  sessionID: string,
  parentID: string,
  model: { providerID: string; modelID: string },
  agent: string,
): AssistantMessage {
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

/** Turns whatever a step threw into the message error OpenCode clients know. */
export function toMessageError(error: unknown, providerID: string, aborted: boolean): MessageError {
  if (aborted) return { name: 'MessageAbortedError', data: { message: 'Aborted' } }
  const e = error as {
    name?: string
    statusCode?: number
    isRetryable?: boolean
    responseBody?: string
    message?: string
  }
  if (e && typeof e === 'object' && (e.name === 'AI_APICallError' || typeof e.statusCode === 'number')) {
    const message = errorMessage(error)
    if (e.statusCode === 401 || e.statusCode === 403)
      return { name: 'ProviderAuthError', data: { providerID, message } }
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
  if (e?.name === 'AI_LoadAPIKeyError')
    return { name: 'ProviderAuthError', data: { providerID, message: errorMessage(error) } }
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

/** Runs one step of a turn; the turn loop decides whether another follows. */
export class StepRunner {
  constructor(
    private readonly app: FastifyInstance,
    private readonly kernel: Kernel,
    private readonly sessions: SessionService,
    private readonly writer: PartWriter,
    /** Sessions whose files changed in the running turn (their diff is published when it ends). */
    private readonly changed: Set<string>,
    private readonly tools: ToolCalls,
  ) {}

  /**
   * The messages the model sees: everything since the last summary, except prompts that arrived
   * after this step began (they join at the next step).
   */
  private visibleHistory(sessionID: string, control: TurnControl): MessageWithParts[] {
    const waiting = control.waiting()
    // After a compaction the history starts at the request the summary answered; the store keeps
    // it parsed between steps, so a long session is not read and parsed again on each one.
    const history = this.sessions.store.history(sessionID)
    return waiting.size ? history.filter((m) => !waiting.has(m.info.id)) : history
  }

  /** One model call and the tools it calls, as one assistant message answering `user`. A summary step has no tools. */
  async step(
    instance: Instance,
    sessionID: string,
    user: UserWithParts,
    turn: TurnControl,
    agent: AgentInfo,
    model: ModelInfo,
    options: { summary?: boolean; fit?: boolean } = {},
  ): Promise<{ message: MessageWithParts; finish?: string; stop: boolean }> {
    // Made before any await: the message's id fixes its place among prompts arriving meanwhile.
    const info = assistantMessage(
      instance,
      sessionID,
      user.info.id,
      { providerID: model.providerID, modelID: model.id },
      agent.name,
    )
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
    const system = await transformSystem(
      this.kernel,
      instance,
      sessionID,
      model,
      systemPrompt({
        instance,
        agentPrompt: agent.prompt,
        instructionPaths: instructionFiles(instance, this.kernel.paths.config, config.instructions),
        userSystem: user.info.system,
        modelID: model.id,
        providerID: model.providerID,
      }),
    )
    const history = await transformMessages(this.kernel, instance, this.visibleHistory(sessionID, turn))
    const messages: ModelMessage[] = toModelMessages(options.fit ? fitHistory(history, model) : history)
    if (options.summary) await compactingPrompt(this.kernel, instance, sessionID, messages)
    const languageModel: LanguageModel = await this.app.providers.languageModel(instance, {
      providerID: model.providerID,
      modelID: model.id,
    })

    const control = { stop: false }
    const toolParts = new Map<string, ToolPart>()
    const extra = wanted ? [structuredOutputTool(wanted, info, control)] : []
    const tools = options.summary
      ? {}
      : await this.tools.toolSet(
          instance,
          sessionID,
          info,
          agent,
          user.info.tools,
          signal,
          toolParts,
          addPart,
          updatePart,
          control,
          beforeTool,
          extra,
        )
    if (wanted) system.push(STRUCTURED_OUTPUT_INSTRUCTION)

    const settings = await chatCallSettings(
      this.kernel,
      instance,
      { sessionID, agent, model, message: user.info },
      {
        temperature: model.capabilities.temperature ? agent.temperature : undefined,
        topP: agent.topP,
        providerOptions: callOptions(model, agent, user.info.model.variant),
      },
    )
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
              const part = {
                id: ascendingId('prt'),
                sessionID,
                messageID: info.id,
                type,
                text: '',
                time: { start: Date.now() },
              } as TextPart | ReasoningPart
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
              if (part.type === 'text')
                part.text = (
                  await triggerHook(
                    this.kernel,
                    instance,
                    'experimental.text.complete',
                    { sessionID, messageID: info.id, partID: part.id },
                    { text: part.text },
                  )
                ).text
              part.time = { start: part.time?.start ?? Date.now(), end: Date.now() }
              updatePart(part)
              break
            }
            case 'tool-input-start': {
              produced = true
              if (toolParts.has(chunk.id)) break
              const part: ToolPart = {
                id: ascendingId('prt'),
                sessionID,
                messageID: info.id,
                type: 'tool',
                callID: chunk.id,
                tool: chunk.toolName,
                state: { status: 'pending', input: {}, raw: '' },
              }
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
                part.state = {
                  status: 'error',
                  input: (chunk.input ?? {}) as Record<string, unknown>,
                  error: errorMessage(chunk.error),
                  time: { start, end: Date.now() },
                }
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
      part.state = {
        status: 'error',
        input: part.state.input,
        error: signal.aborted ? 'Tool execution aborted' : 'Tool execution did not finish',
        time: { start, end: Date.now() },
      }
      updatePart(part)
    }

    const tokens: Tokens = usage
      ? {
          total: usage.input + usage.output + usage.cacheRead + usage.cacheWrite,
          input: usage.input,
          output: usage.output,
          reasoning: usage.reasoning,
          cache: { read: usage.cacheRead, write: usage.cacheWrite },
        }
      : zeroTokens()
    const cost = usage
      ? (usage.input * model.cost.input +
          usage.output * model.cost.output +
          usage.cacheRead * model.cost.cache.read +
          usage.cacheWrite * model.cost.cache.write) /
        1_000_000
      : 0
    const finishSnapshot = snapshot
      ? await this.recordPatch(instance, info, stepStart, await snapshot, addPart)
      : undefined
    if (usage || !info.error) {
      addPart({
        id: ascendingId('prt'),
        sessionID,
        messageID: info.id,
        type: 'step-finish',
        reason: finish ?? 'unknown',
        cost,
        tokens,
        ...(finishSnapshot ? { snapshot: finishSnapshot } : {}),
      })
    }
    info.tokens = tokens
    info.cost = cost
    if (finish) info.finish = finish
    info.time.completed = Date.now()
    this.writer.flush()
    this.sessions.saveMessage(instance, info)
    if (info.error) this.kernel.publish(instance, SessionError, { sessionID, error: info.error })
    if (usage) {
      this.sessions.update(
        instance,
        sessionID,
        (s) => {
          s.cost += cost
          s.tokens.input += tokens.input
          s.tokens.output += tokens.output
          s.tokens.reasoning += tokens.reasoning
          s.tokens.cache.read += tokens.cache.read
          s.tokens.cache.write += tokens.cache.write
        },
        { touch: true },
      )
    }
    return { message: { info, parts }, finish, stop: control.stop }
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
        addPart({
          id: ascendingId('prt'),
          sessionID: info.sessionID,
          messageID: info.id,
          type: 'patch',
          hash,
          files: patch.files,
        })
        this.changed.add(info.sessionID)
      }
      return patch.after
    } catch (error) {
      this.kernel.log.warn({ err: error }, 'snapshot patch failed')
      return undefined
    }
  }
}
