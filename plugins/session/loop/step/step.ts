// One step: one model call streamed into parts (text, reasoning, tool calls), retried while the
// provider allows, with the worktree snapshots around the tools it runs.
import type { SessionKernel } from '../../index.js'
import type { LanguageModel, ModelMessage, TextStreamPart, ToolSet } from 'ai'
import type { FastifyInstance } from 'fastify'
import { ascendingId, type Instance } from '../../../../sdk/index.js'
import type { AgentInfo } from '../../../agent/types.js'
import type { ModelInfo } from '../../../provider/types.js'
import { SessionError } from '../../events.js'
import { RetryScheduled, UsageUpdated, usageOf } from '../../http/v21/events.js'
import { providerError } from '../../http/v21/provider-error.js'
import type { MessageWithParts, StepStartPart } from '../../schemas.js'
import type { PartWriter } from '../../store/part-writer.js'
import type { SessionService } from '../../store/service.js'
import type { TurnControl, UserWithParts } from '../turn-control.js'
import { loadAi } from './ai-sdk.js'
import { assistantMessage, costOf, toMessageError, tokensOf, type Usage } from './assistant-message.js'
import { fitHistory } from '../compaction.js'
import { toModelMessages } from './model-messages.js'
import {
  chatCallSettings,
  compactingPrompt,
  transformMessages,
  transformSystem,
  type CallSettings,
} from './plugin-hooks.js'
import { StepParts } from './parts.js'
import { waitToRetry } from './retry.js'
import { StepStream } from './stream.js'
import { markingStreamEnd } from './stream-end.js'
import { jsonFormat, STRUCTURED_OUTPUT_INSTRUCTION, structuredOutputTool } from '../structured-output.js'
import { instructionFiles, systemPrompt } from './system-prompt.js'
import type { ToolCalls } from './tool-call.js'

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

/** What one step answers, with what, and how. */
interface StepRequest {
  instance: Instance
  sessionID: string
  user: UserWithParts
  turn: TurnControl
  agent: AgentInfo
  model: ModelInfo
  options: { summary?: boolean; fit?: boolean }
}

/** Everything a model call of the step is made with (the same for each attempt). */
interface ModelCall {
  languageModel: LanguageModel
  system: string[]
  messages: ModelMessage[]
  tools: ToolSet
  settings: CallSettings
}

/** Failing tools still pending or running when the step ends (an abort): never left dangling. */
function failUnfinishedTools(step: StepParts, aborted: boolean): void {
  for (const part of step.tools.values()) {
    if (part.state.status !== 'pending' && part.state.status !== 'running') continue
    const start = part.state.status === 'running' ? part.state.time.start : Date.now()
    part.state = {
      status: 'error',
      input: part.state.input,
      error: aborted ? 'Tool execution aborted' : 'Tool execution did not finish',
      time: { start, end: Date.now() },
    }
    step.update(part)
  }
}

/** Runs one step of a turn; the turn loop decides whether another follows. */
export class StepRunner {
  constructor(
    private readonly app: FastifyInstance,
    private readonly kernel: SessionKernel,
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
    const request: StepRequest = { instance, sessionID, user, turn, agent, model, options }
    // Made before any await: the message's id fixes its place among prompts arriving meanwhile.
    const info = assistantMessage(
      instance,
      sessionID,
      user.info.id,
      { providerID: model.providerID, modelID: model.id },
      agent.name,
    )
    if (options.summary) info.summary = true
    this.sessions.saveMessage(instance, info)
    const { streamText } = await loadAi()
    const step = new StepParts(instance, info, this.sessions, this.writer)
    const stepStart: StepStartPart = { id: ascendingId('prt'), sessionID, messageID: info.id, type: 'step-start' }
    step.add(stepStart)
    // Taken before the step's first tool runs: only tools change files, streaming text does not.
    let snapshot: Promise<string | undefined> | undefined
    const beforeTool = () => (snapshot ??= this.track(instance))
    const control = { stop: false }
    const call = await this.prepareCall(request, step, control, beforeTool)
    const stream = new StepStream(this.kernel, step)
    const marked = markingStreamEnd(call.languageModel)
    await this.callModel(
      request,
      step,
      stream,
      marked !== undefined,
      () =>
        streamText({
          model: marked ?? call.languageModel,
          system: call.system.join('\n\n'),
          messages: call.messages,
          tools: call.tools,
          abortSignal: turn.signal,
          maxRetries: 0,
          // Only the stream-end marker: the wrapped model asks the provider for no raw chunks.
          includeRawChunks: marked !== undefined,
          ...call.settings,
          onError: () => {},
        }).fullStream,
    )
    if (turn.signal.aborted && !info.error) info.error = toMessageError(undefined, model.providerID, true)
    failUnfinishedTools(step, turn.signal.aborted)
    const finishSnapshot = snapshot ? await this.recordPatch(step, stepStart, await snapshot) : undefined
    this.finish(request, step, stream, finishSnapshot)
    return { message: { info, parts: step.parts }, finish: stream.finish, stop: control.stop }
  }

  /**
   * Calls the model until an attempt streams to its end, or fails in a way not retried (then the
   * message gets the error). An attempt that produced output is never retried.
   */
  private async callModel(
    { instance, sessionID, turn, model }: StepRequest,
    step: StepParts,
    stream: StepStream,
    marked: boolean,
    call: () => AsyncIterable<TextStreamPart<ToolSet>>,
  ): Promise<void> {
    const { info } = step
    for (let attempt = 1; ; attempt++) {
      try {
        await stream.consume(call(), marked)
        return
      } catch (error) {
        const scheduled = (at: number) =>
          this.kernel.publish(instance, RetryScheduled, {
            timestamp: Date.now(),
            sessionID,
            assistantMessageID: info.id,
            attempt: attempt + 1,
            at,
            error: providerError(error),
          })
        if (!stream.produced && (await waitToRetry(error, attempt, turn, scheduled))) {
          // 2.1 starts the step again (the same message) when the retry begins.
          this.sessions.next.restarted(instance, info)
          continue
        }
        step.info.error = toMessageError(error, model.providerID, turn.signal.aborted)
        if (!turn.signal.aborted) this.kernel.log.warn({ err: error, sessionID }, 'model call failed')
        return
      }
    }
  }

  /** The call's system prompt, history, model, tools and settings, each through its plugin hooks. */
  private async prepareCall(
    { instance, sessionID, user, turn, agent, model, options }: StepRequest,
    step: StepParts,
    control: { stop: boolean },
    beforeTool: () => Promise<unknown>,
  ): Promise<ModelCall> {
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
    const extra = wanted ? [structuredOutputTool(wanted, step.info, control)] : []
    const tools = options.summary
      ? {}
      : await this.tools.toolSet({
          step,
          agent,
          userTools: user.info.tools,
          signal: turn.signal,
          control,
          beforeTool,
          extra,
        })
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
    return { languageModel, system, messages, tools, settings }
  }

  /**
   * The step's end: its `step-finish` part (unless it failed before any usage), tokens, cost and
   * finish reason on the message, the message saved, an error published, the session's totals.
   */
  private finish(
    { instance, sessionID, model }: StepRequest,
    step: StepParts,
    stream: StepStream,
    snapshot?: string,
  ): void {
    const { info } = step
    const usage: Usage | undefined = stream.usage
    const tokens = tokensOf(usage)
    const cost = costOf(usage, model)
    if (usage || !info.error) {
      step.add({
        id: ascendingId('prt'),
        sessionID,
        messageID: info.id,
        type: 'step-finish',
        reason: stream.finish ?? 'unknown',
        cost,
        tokens,
        ...(snapshot ? { snapshot } : {}),
      })
    }
    info.tokens = tokens
    info.cost = cost
    if (stream.finish) info.finish = stream.finish
    info.time.completed = Date.now()
    this.writer.flush()
    this.sessions.saveMessage(instance, info)
    if (info.error) this.kernel.publish(instance, SessionError, { sessionID, error: info.error })
    if (!usage) return
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
    const totals = this.sessions.store.getSession(sessionID)
    if (totals) this.kernel.publish(instance, UsageUpdated, usageOf(totals))
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
    step: StepParts,
    stepStart: StepStartPart,
    hash: string | undefined,
  ): Promise<string | undefined> {
    if (!hash) return undefined
    const { info, instance } = step
    // Stored, not published again: clients count a step-start part update as a new step.
    stepStart.snapshot = hash
    this.writer.save(stepStart)
    try {
      const patch = await this.app.snapshots.patch(instance, hash)
      if (patch.files.length) {
        step.add({
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
