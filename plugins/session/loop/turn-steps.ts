// The steps of one turn: each answers the newest prompt that joined; summaries when the context
// runs out (or nearly), reminders when structured output is missing, old tool output pruned.
import type { SessionKernel } from '../index.js'
import type { FastifyInstance } from 'fastify'
import { type Instance } from '../../../sdk/index.js'
import type { AgentInfo } from '../../agent/types.js'
import type { ModelInfo } from '../../provider/types.js'
import { SessionCompacted, SessionError } from '../events.js'
import type { AssistantMessage, CompactionPart, MessageWithParts, UserMessage } from '../schemas.js'
import type { SessionService } from '../store/service.js'
import type { TurnControl, UserWithParts } from './turn-control.js'
import {
  compactionRequest,
  continueRequest,
  isContextOverflow,
  isOverflow,
  partsToPrune,
  syntheticRequest,
} from './compaction.js'
import { autoContinue } from './step/plugin-hooks.js'
import type { StepRunner } from './step/step.js'
import {
  DEFAULT_STRUCTURED_RETRIES,
  STRUCTURED_OUTPUT_REMINDER,
  STRUCTURED_OUTPUT_TOOL,
  jsonFormat,
  type JsonSchemaFormat,
} from './structured-output.js'

/** Steps a turn may take when the agent sets no limit. */
const DEFAULT_MAX_STEPS = 100

/** Whether a reply ended in an error (an abort included). */
const failed = (message: MessageWithParts): boolean =>
  message.info.role === 'assistant' && message.info.error !== undefined

/** What the steps of a turn work with. */
export interface TurnDeps {
  app: FastifyInstance
  kernel: SessionKernel
  sessions: SessionService
  steps: StepRunner
}

/** What a turn starts answering: the prompt, with its agent and model, and the format it wants. */
export interface TurnAnswer {
  user: UserWithParts
  agent: AgentInfo
  model: ModelInfo
  wanted: JsonSchemaFormat | undefined
}

type Next = 'continue' | 'stop'

/**
 * One turn's steps until the model stops. Before each step (and each message the loop adds), the
 * prompts that arrived meanwhile join (`control.take`); the newest becomes the one the step
 * answers, with its agent, model and format.
 */
export class TurnSteps {
  private user: UserWithParts
  private agent: AgentInfo
  private model: ModelInfo
  private wanted: JsonSchemaFormat | undefined
  private reminders = 0
  /** Whether a context overflow was summarized already (once per turn). */
  private recovered = false
  private last: MessageWithParts | undefined

  constructor(
    private readonly deps: TurnDeps,
    private readonly instance: Instance,
    private readonly sessionID: string,
    private readonly control: TurnControl,
    answer: TurnAnswer,
  ) {
    ;({ user: this.user, agent: this.agent, model: this.model, wanted: this.wanted } = answer)
  }

  /** A summary first when the prompt asks for one, then steps until the model stops. */
  async run(request: CompactionPart | undefined): Promise<MessageWithParts> {
    if (request) {
      // A summary asked for with `POST …/summarize`; `auto` continues the work after it.
      const summary = await this.summarize(() => this.user)
      if (!request.auto || failed(summary)) return summary
      this.follow(continueRequest)
    }
    for (let step = 1; ; step++) if ((await this.step(step)) === 'stop') break
    this.checkStructuredOutput()
    if (!this.control.signal.aborted) this.prune()
    return this.last!
  }

  /** Lets waiting prompts join; true when one did (it is now the prompt being answered). */
  private join(): boolean {
    const joined = this.control.take()
    if (!joined) return false
    ;({ user: this.user, agent: this.agent, model: this.model } = joined)
    this.wanted = jsonFormat(this.user.info.format)
    this.reminders = 0
    return true
  }

  /** Adds a synthetic user message, unless a prompt that just joined takes its place. */
  private follow(make: (like: UserMessage) => UserWithParts): void {
    if (!this.join()) this.user = this.saveUser(make(this.user.info))
  }

  private async step(step: number): Promise<Next> {
    const { signal } = this.control
    this.control.setStatus({ type: 'busy' })
    this.join()
    // No await between joining and the step's message getting its id (the first thing step does).
    const outcome = await this.deps.steps.step(
      this.instance,
      this.sessionID,
      this.user,
      this.control,
      this.agent,
      this.model,
    )
    this.last = outcome.message
    const maxSteps = this.agent.steps ?? DEFAULT_MAX_STEPS
    const info = outcome.message.info as AssistantMessage
    if (!this.recovered && !signal.aborted && isContextOverflow(info.error)) return this.recoverOverflow()
    if (failed(outcome.message) || signal.aborted || outcome.stop) return 'stop'
    const overflow = isOverflow(info.tokens, this.model, this.deps.kernel.config(this.instance))
    const more = outcome.finish === 'tool-calls' && step < maxSteps
    if (overflow) return this.compactNearLimit(more)
    if (more) return 'continue'
    return this.remind(step, maxSteps) ? 'continue' : 'stop'
  }

  /** The request no longer fits the context: summarize what fits of it, then go on from there. */
  private async recoverOverflow(): Promise<Next> {
    this.recovered = true
    const summary = await this.summarize(() => (this.join(), this.saveUser(compactionRequest(this.user.info, true))), {
      fit: true,
    })
    if (failed(summary) || !(await this.autoContinue())) return 'stop'
    this.follow(continueRequest)
    return 'continue'
  }

  /**
   * Near the context limit: summarize now, so the next step (or the next prompt) starts small.
   * Prompts waiting now join before the request, so the summary covers them and the turn goes
   * on to answer them (the next turn would start after the request and never see them).
   */
  private async compactNearLimit(more: boolean): Promise<Next> {
    let joined = false
    const summary = await this.summarize(
      () => ((joined = this.join()), this.saveUser(compactionRequest(this.user.info, true))),
    )
    if (!more && !joined) return 'stop'
    if (failed(summary)) {
      this.last = summary
      return 'stop'
    }
    if (!(await this.autoContinue())) return 'stop'
    this.follow(continueRequest)
    return 'continue'
  }

  /** `experimental.compaction.autocontinue`: whether the turn goes on after an automatic summary. */
  private autoContinue(): Promise<boolean> {
    return autoContinue(this.deps.kernel, this.instance, {
      sessionID: this.sessionID,
      agent: this.agent,
      model: this.model,
      message: this.user.info,
      overflow: true,
    })
  }

  /**
   * Asked for structured output and answered without it: remind the model, a few times
   * (prompts waiting to join get the next turn instead).
   */
  private remind(step: number, maxSteps: number): boolean {
    const { wanted } = this
    if (
      !wanted ||
      this.control.waiting().size ||
      this.reminders >= (wanted.retryCount ?? DEFAULT_STRUCTURED_RETRIES) ||
      step >= maxSteps
    )
      return false
    this.reminders++
    this.user = this.saveUser(syntheticRequest(this.user.info, STRUCTURED_OUTPUT_REMINDER))
    return true
  }

  /** A turn that wanted structured output and ended without it fails with `StructuredOutputError`. */
  private checkStructuredOutput(): void {
    const { wanted, last } = this
    if (!wanted || !last || failed(last) || this.control.signal.aborted) return
    const info = last.info as AssistantMessage
    if (info.structured !== undefined) return
    info.error = {
      name: 'StructuredOutputError',
      data: { message: `The model did not call the ${STRUCTURED_OUTPUT_TOOL} tool`, retries: this.reminders },
    }
    this.deps.sessions.saveMessage(this.instance, info)
    this.deps.kernel.publish(this.instance, SessionError, { sessionID: this.sessionID, error: info.error })
  }

  /** Marks old tool output as cleared for later model calls (config `compaction.prune: false` keeps it). */
  private prune(): void {
    const { kernel, sessions } = this.deps
    const settings = (kernel.config(this.instance).compaction ?? {}) as { prune?: boolean }
    if (settings.prune === false) return
    const now = Date.now()
    for (const cached of partsToPrune(sessions.store.history(this.sessionID))) {
      // The store's cached history is shared: change a copy (saving it updates the cache).
      const part = structuredClone(cached)
      if (part.state.status !== 'completed') continue
      part.state.time.compacted = now
      sessions.savePart(this.instance, part)
    }
  }

  private saveUser(user: UserWithParts): UserWithParts {
    this.deps.sessions.saveMessage(this.instance, user.info)
    for (const part of user.parts) this.deps.sessions.savePart(this.instance, part)
    return user
  }

  /**
   * The compaction agent answers the request with a summary of the history; `session.compacted`
   * when it did. `request` stores the request right before the summary's message is made.
   */
  private async summarize(request: () => UserWithParts, options: { fit?: boolean } = {}): Promise<MessageWithParts> {
    const { app, kernel, steps } = this.deps
    // The model of the moment it is asked for: a prompt joining in `request` does not change it.
    const model = this.model
    const agent = (await app.agents.get(this.instance, 'compaction')) ?? {
      name: 'compaction',
      mode: 'primary' as const,
      permission: [],
      options: {},
    }
    this.control.setStatus({ type: 'busy' })
    const { message } = await steps.step(this.instance, this.sessionID, request(), this.control, agent, model, {
      summary: true,
      fit: options.fit,
    })
    if (!failed(message)) kernel.publish(this.instance, SessionCompacted, { sessionID: this.sessionID })
    return message
  }
}
