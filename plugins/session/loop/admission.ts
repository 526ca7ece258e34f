// Prompt admission: how prompts, summaries and shell commands get into a session's one loop, and
// in which order. Everything that decides the conversation's order happens synchronously here.
import type { SessionKernel } from '../index.js'
export type { RunListener, RunOutcome } from './run-outcome.js'
import type { FastifyInstance } from 'fastify'
import { BadRequestError, ascendingId, type Instance } from '../../../sdk/index.js'
import { triggerHook } from '../../../sdk/hooks.js'
import type { AgentInfo } from '../../agent/types.js'
import type { ModelInfo, ModelRef } from '../../provider/types.js'
import { compactionRequest } from './compaction.js'
import { resolveAgentAndModel } from './agent-model.js'
import { SessionIdle, SessionStatusChanged } from '../events.js'
import type { PromptInput } from '../prompt-schemas.js'
import type { MessageWithParts, SessionInfo, SessionStatus } from '../schemas.js'
import { QueuedWorkAbortedError, SessionBusyError } from '../errors.js'
import { isDefaultTitle, type SessionService } from '../store/service.js'
import type { SessionHistory } from '../store/history.js'
import type { PartWriter } from '../store/part-writer.js'
import { generateTitle } from './title.js'
import { ownText, userMessage, userParts } from './prompt-parts.js'
import type { DeliveryMode } from '../http/v2/events.js'
import type { ResumeOutcome } from '../types.js'
import { thrownOutcome, turnOutcome, type RunListener, type RunOutcome } from './run-outcome.js'
import type { Steer, TurnControl, TurnResume, TurnRunner, TurnStart, UserWithParts, Waiter } from './turn-control.js'

/** A caller that does not wait for the reply (a v2 input: its client follows the events). */
const UNANSWERED: Waiter = { resolve: () => {}, reject: () => {} }

/** A prompt checked and built, not stored yet (see `PromptAdmission.prepare`). */
export interface PreparedPrompt {
  user: UserWithParts
  agent: AgentInfo
  model: ModelInfo
  /** Stores it; `inOrder`: with a new id when newer messages exist (it waited to join). */
  store(options?: { inOrder?: boolean }): UserWithParts
  /** The seq of its `session.next.prompted` event, once stored. */
  promotedSeq?: number
}

/**
 * Work that needs a turn of its own ("queue"): a summary request, a prompt with subtasks, a held
 * call to resume. Its user message is stored only when its turn starts (`promote`), so ids keep
 * sorting in conversation order.
 */
interface Queued {
  promote(): UserWithParts
  /** The v2 input it stands for. */
  inputID?: string
  waiter?: Waiter
  resume?: TurnResume
}

/** A session's loop: what waits to join it, and how to stop it. */
interface SessionRun {
  /** How its last turn ended (a run that ran no turn has none). */
  outcome?: RunOutcome
  pending: Steer[]
  queue: Queued[]
  controller?: AbortController
  /** Settles when the loop stops. */
  done?: Promise<void>
  /** Keeps the instance out of LRU eviction while the loop runs. */
  unpin: () => void
}

interface AdmissionState {
  runs: Map<string, SessionRun>
  status: Map<string, SessionStatus>
}

/**
 * Admission of prompts into each session's one loop.
 *
 * Semantics (OpenCode's): a prompt that arrives while the session is busy is stored at once and
 * joins the running loop at its next step boundary, never a model call already under way. If the
 * running step is the turn's last, the prompts that arrived meanwhile are answered together by the
 * next turn; if the step continues (tool calls), the next step answers them. Each waiting caller
 * gets the last assistant message of the turn that answered its prompt. Summaries, prompts with
 * subtasks and resumed calls queue for a turn of their own and are stored when it starts.
 */
export class PromptAdmission {
  private readonly stopListeners = new Set<(sessionID: string) => void>()
  private readonly runListeners = new Set<RunListener>()

  constructor(
    private readonly app: FastifyInstance,
    private readonly kernel: SessionKernel,
    private readonly sessions: SessionService,
    private readonly writer: PartWriter,
    private readonly history: SessionHistory,
    private readonly runner: TurnRunner,
  ) {}

  private state(instance: Instance): AdmissionState {
    return instance.state<AdmissionState>(
      'session.runner',
      () => ({ runs: new Map(), status: new Map() }),
      async (state) => {
        // Not `this.abort()`: a disposed instance's `state()` throws, and the turns ran on.
        for (const run of state.runs.values()) run.controller?.abort()
        await Promise.race([
          Promise.all([...state.runs.values()].map((run) => run.done)),
          new Promise((resolve) => setTimeout(resolve, 2000)),
        ])
        this.writer.flush()
      },
    )
  }

  /** Calls `listener` whenever a session's loop stops (what it had not started is dropped). */
  onStopped(listener: (sessionID: string) => void): void {
    this.stopListeners.add(listener)
  }

  /** Tells `listener` where each run of turns starts and ends (2.1's execution boundaries). */
  onRun(listener: RunListener): void {
    this.runListeners.add(listener)
  }

  /** Non-idle sessions of the instance. */
  statuses(instance: Instance): Record<string, SessionStatus> {
    return Object.fromEntries(this.state(instance).status)
  }

  private setStatus(instance: Instance, sessionID: string, status: SessionStatus): void {
    const map = this.state(instance).status
    if (status.type === 'idle') map.delete(sessionID)
    else map.set(sessionID, status)
    this.kernel.publish(instance, SessionStatusChanged, { sessionID, status })
  }

  isBusy(instance: Instance, sessionID: string): boolean {
    return this.state(instance).runs.has(sessionID)
  }

  /** SessionBusyError (409) while a turn, a shell command or a summary runs. */
  assertIdle(instance: Instance, sessionID: string): void {
    if (this.isBusy(instance, sessionID)) throw new SessionBusyError(sessionID)
  }

  private run(instance: Instance, sessionID: string): SessionRun {
    const state = this.state(instance)
    let run = state.runs.get(sessionID)
    if (!run) {
      state.runs.set(sessionID, (run = { pending: [], queue: [], unpin: instance.pin(`session ${sessionID} running`) }))
      this.setStatus(instance, sessionID, { type: 'busy' })
    }
    return run
  }

  /**
   * Runs `work` as the session's one activity (a shell command): 409 when the session is busy;
   * the session is busy meanwhile, and abort cancels `work`'s signal. Prompts sent meanwhile wait
   * and run after it.
   */
  async exclusive<T>(instance: Instance, sessionID: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.assertIdle(instance, sessionID)
    const run = this.run(instance, sessionID)
    const controller = (run.controller = new AbortController())
    let settle!: () => void
    run.done = new Promise<void>((resolve) => (settle = resolve))
    try {
      return await work(controller.signal)
    } finally {
      this.writer.flush()
      settle()
      run.done = undefined
      if (!controller.signal.aborted && this.wantsTurn(run)) {
        run.done = this.drive(instance, sessionID, run)
      } else {
        // An abort drops prompts sent meanwhile: each caller gets its own message back.
        for (const dropped of run.pending.splice(0)) dropped.waiter?.resolve(dropped.user)
        for (const dropped of run.queue.splice(0)) dropped.waiter?.reject(new QueuedWorkAbortedError(sessionID))
        this.stopped(instance, sessionID, run)
      }
    }
  }

  /** Cancels the running turn and drops waiting prompts. Always leaves the session idle. */
  abort(instance: Instance, sessionID: string): void {
    this.runner.releaseHeld(instance, sessionID)
    this.state(instance).runs.get(sessionID)?.controller?.abort()
  }

  /** Aborts and waits (bounded) until the loop has stopped writing. */
  async stop(instance: Instance, sessionID: string): Promise<void> {
    this.runner.releaseHeld(instance, sessionID)
    const run = this.state(instance).runs.get(sessionID)
    if (!run) return
    run.controller?.abort()
    await Promise.race([run.done, new Promise((resolve) => setTimeout(resolve, 5000))])
  }

  /** Finishes a held call (a restart left it waiting on the user) in a turn of its own. */
  resume(instance: Instance, sessionID: string, messageID: string, callID: string, outcome: ResumeOutcome): void {
    const parent = this.runner.unhold(sessionID, messageID, callID)
    if (!parent) return
    const run = this.run(instance, sessionID)
    run.queue.push({ promote: () => parent, resume: { messageID, callID, outcome } })
    run.done ??= this.drive(instance, sessionID, run)
  }

  /** Resolves the agent and model of a prompt; bad names are a 400 before anything is stored. */
  resolveAgentAndModel(
    instance: Instance,
    session: SessionInfo,
    input: PromptInput,
  ): Promise<{ agent: AgentInfo; model: ModelRef; info: ModelInfo }> {
    return resolveAgentAndModel(this.app, instance, session, input)
  }

  /** Stores the user message and waits for the turn; resolves with its final assistant message (or the user message when `noReply`). */
  async prompt(instance: Instance, sessionID: string, input: PromptInput): Promise<MessageWithParts> {
    const { user, reply } = await this.submit(instance, sessionID, input)
    return reply ?? user
  }

  /**
   * Validates and admits a prompt. Bad input fails here, before anything is stored; `reply`
   * settles when the turn that answers it ends (absent when `noReply`).
   */
  async submit(
    instance: Instance,
    sessionID: string,
    input: PromptInput,
  ): Promise<{ user: MessageWithParts; reply?: Promise<MessageWithParts> }> {
    const prepared = await this.prepare(instance, sessionID, input)
    const { user, agent, model } = prepared
    // From here to the admission below nothing awaits: the id is taken, stored and admitted in one step.
    const busy = this.isBusy(instance, sessionID)
    // Subtasks run before the model answers, so a prompt carrying them cannot join a running turn.
    const ownTurn = busy && !input.noReply && user.parts.some((part) => part.type === 'subtask')
    if (ownTurn)
      return {
        user,
        reply: this.enqueue(
          instance,
          sessionID,
          () => (input.messageID ? undefined : this.renumber(user), prepared.store()),
        ),
      }
    prepared.store()
    if (input.noReply) {
      // While busy it still joins the conversation at the next step boundary, like any prompt.
      if (busy) this.run(instance, sessionID).pending.push({ user, agent, model })
      return { user }
    }
    const reply = new Promise<MessageWithParts>((resolve, reject) => {
      const run = this.run(instance, sessionID)
      run.pending.push({ user, agent, model, waiter: { resolve, reject } })
      run.done ??= this.drive(instance, sessionID, run)
    })
    return { user, reply }
  }

  /**
   * Checks a prompt and builds its user message without storing it: agent and model resolved,
   * files read. `store()` saves it (the conversation's next message) and publishes `prompted`;
   * the id is checked again there, since a prompt may wait before it joins.
   */
  async prepare(
    instance: Instance,
    sessionID: string,
    input: PromptInput,
    delivery: DeliveryMode = 'steer',
  ): Promise<PreparedPrompt> {
    const session = this.sessions.get(instance, sessionID)
    const { agent, model, info: modelInfo } = await this.resolveAgentAndModel(instance, session, input)
    if (input.format?.type === 'json_schema' && !input.format.schema)
      throw new BadRequestError('format.schema is required when format.type is "json_schema"', 'Body')
    if (input.messageID && this.sessions.store.hasMessageID(input.messageID))
      throw new BadRequestError(`Message already exists: ${input.messageID}`, 'Body')
    const draftID = input.messageID ?? ascendingId('msg')
    const parts = userParts(instance, sessionID, draftID, input)
    const info = userMessage(sessionID, draftID, input, agent, model)
    // OpenCode plugins may change the message before it is stored.
    await triggerHook(
      this.kernel,
      instance,
      'chat.message',
      { sessionID, agent: input.agent, model: input.model, messageID: input.messageID, variant: input.variant },
      { message: info, parts },
    )
    const messageID = input.messageID ?? ascendingId('msg')
    if (this.sessions.store.hasMessageID(messageID))
      throw new BadRequestError(`Message already exists: ${messageID}`, 'Body')
    info.id = messageID
    for (const part of parts) part.messageID = messageID
    const user: UserWithParts = { info, parts }
    const prepared: PreparedPrompt = { user, agent, model: modelInfo, store: () => user }
    prepared.store = (options: { inOrder?: boolean } = {}): UserWithParts => {
      if (this.sessions.store.hasMessageID(user.info.id))
        throw new BadRequestError(`Message already exists: ${user.info.id}`, 'Body')
      // A prompt that waited (queued, parked) joins after messages newer than its id: it takes a
      // new id, so the conversation (ordered by id, for the model and every client) stays in order.
      const newest = this.sessions.store.page(sessionID, 1).messages[0]?.info.id
      if (options.inOrder && newest !== undefined && newest > user.info.id) this.renumber(user)
      const current = this.sessions.get(instance, sessionID)
      const first = newest === undefined
      this.startingNewTurn(instance, current)
      this.saveUser(instance, user)
      prepared.promotedSeq = this.sessions.next.prompted(instance, user.info, user.parts, delivery).durable?.seq
      this.sessions.update(
        instance,
        sessionID,
        (s) => {
          s.agent = agent.name
          s.model = { id: model.modelID, providerID: model.providerID }
        },
        { touch: true },
      )
      if (first && !current.parentID && isDefaultTitle(current.title)) {
        const text = ownText(parts)
        if (text.trim()) void generateTitle(this.app, this.kernel, this.sessions, instance, sessionID, text, model)
      }
      return user
    }
    return prepared
  }

  /**
   * Admits prepared prompts that join when the loop gets to them (v2 inputs), in order: `steer`
   * ones at the running turn's next step boundary (at once on an idle session), all together;
   * `queue` ones each as a turn of its own once nothing else waits. `promoted` runs as one joins.
   * Nobody waits for the reply: clients follow the events.
   */
  schedule(
    instance: Instance,
    sessionID: string,
    inputs: { prepared: PreparedPrompt; delivery: DeliveryMode; promoted: () => void; inputID?: string }[],
  ): void {
    if (!inputs.length) return
    const run = this.run(instance, sessionID)
    for (const { prepared, delivery, promoted, inputID } of inputs) {
      const promote = () => {
        prepared.store({ inOrder: true })
        promoted()
        return prepared.user
      }
      if (delivery === 'queue') run.queue.push({ promote, waiter: UNANSWERED, inputID })
      else
        run.pending.push({
          user: prepared.user,
          agent: prepared.agent,
          model: prepared.model,
          waiter: UNANSWERED,
          promote,
          inputID,
        })
    }
    run.done ??= this.drive(instance, sessionID, run)
  }

  /** Takes a scheduled v2 input back before it joins (cancelled, or scheduled again another way). */
  withdraw(instance: Instance, sessionID: string, inputID: string): void {
    const run = this.state(instance).runs.get(sessionID)
    if (!run) return
    const index = run.pending.findIndex((steer) => steer.inputID === inputID)
    if (index >= 0) run.pending.splice(index, 1)
    const queued = run.queue.findIndex((item) => item.inputID === inputID)
    if (queued >= 0) run.queue.splice(queued, 1)
  }

  /** Settles when the session's loop has stopped (at once when idle). */
  async idle(instance: Instance, sessionID: string): Promise<void> {
    for (let run = this.state(instance).runs.get(sessionID); run; run = this.state(instance).runs.get(sessionID)) {
      await (run.done ?? new Promise((resolve) => setTimeout(resolve, 50)))
    }
  }

  /**
   * `POST …/summarize`: queues a compaction request (a user message with a `compaction` part)
   * answered by a summary with this model; with `auto`, the work continues after it.
   */
  async compact(
    instance: Instance,
    sessionID: string,
    input: { providerID: string; modelID: string; auto?: boolean },
  ): Promise<MessageWithParts> {
    const session = this.sessions.get(instance, sessionID)
    const current = session.agent && (await this.app.agents.get(instance, session.agent)) ? session.agent : undefined
    const { agent, model } = await this.resolveAgentAndModel(instance, session, {
      agent: current,
      model: { providerID: input.providerID, modelID: input.modelID },
      parts: [],
    })
    return this.enqueue(instance, sessionID, () => {
      this.startingNewTurn(instance, this.sessions.get(instance, sessionID))
      return this.saveUser(instance, compactionRequest({ sessionID, agent: agent.name, model }, input.auto ?? false))
    })
  }

  /** Queues work for a turn of its own; resolves with the turn's final assistant message. */
  private enqueue(instance: Instance, sessionID: string, promote: () => UserWithParts): Promise<MessageWithParts> {
    return new Promise<MessageWithParts>((resolve, reject) => {
      const run = this.run(instance, sessionID)
      run.queue.push({ promote, waiter: { resolve, reject } })
      run.done ??= this.drive(instance, sessionID, run)
    })
  }

  /** A new prompt (or summary) gives up calls a restart left waiting on the user, and a revert for good. */
  private startingNewTurn(instance: Instance, session: SessionInfo): void {
    this.runner.releaseHeld(instance, session.id)
    if (session.revert) this.history.dropReverted(instance, session.id)
  }

  private saveUser(instance: Instance, user: UserWithParts): UserWithParts {
    this.sessions.saveMessage(instance, user.info)
    for (const part of user.parts) this.sessions.savePart(instance, part)
    return user
  }

  /** A new id for a prompt stored later than it arrived, so it sorts where it joins. */
  private renumber(user: UserWithParts): void {
    const id = ascendingId('msg')
    user.info.id = id
    user.info.time.created = Date.now()
    for (const part of user.parts) part.messageID = id
  }

  /** Whether the loop has something to answer: a prompt waiting for a reply, or queued work. */
  private wantsTurn(run: SessionRun): boolean {
    return run.queue.length > 0 || run.pending.some((steer) => steer.waiter)
  }

  /** The loop: turns until nothing waits, prompts that joined first, then queued work in order. */
  private async drive(instance: Instance, sessionID: string, run: SessionRun): Promise<void> {
    for (const listener of this.runListeners) listener.started(instance, sessionID)
    try {
      do {
        while (this.wantsTurn(run)) await this.nextTurn(instance, sessionID, run)
        this.writer.flush()
        // Prompts may arrive while the diff is computed; the loop is still theirs.
        if (!instance.isDisposed) await this.runner.finished(instance, sessionID)
      } while (this.wantsTurn(run))
    } finally {
      this.writer.flush()
      // Only noReply prompts are left on a normal end; anything else would be a caller hanging.
      this.drop(run, (waiter) => waiter.reject(new QueuedWorkAbortedError(sessionID)))
      const outcome = run.outcome ?? { outcome: 'succeeded' }
      for (const listener of this.runListeners) listener.ended(instance, sessionID, outcome)
      this.stopped(instance, sessionID, run)
    }
  }

  private async nextTurn(instance: Instance, sessionID: string, run: SessionRun): Promise<void> {
    const controller = (run.controller = new AbortController())
    const answering: Waiter[] = []
    const take = (): Steer | undefined => {
      let last: Steer | undefined
      for (const steer of run.pending.splice(0)) {
        try {
          steer.promote?.()
        } catch (error) {
          // Its session or id went away while it waited: it stays a pending input.
          this.kernel.log.warn({ err: error, sessionID }, 'a waiting prompt could not join')
          continue
        }
        if (steer.waiter) answering.push(steer.waiter)
        last = steer
      }
      return last
    }
    let start: TurnStart
    if (run.pending.some((steer) => steer.waiter)) {
      const joined = take()
      if (!joined) return
      start = joined
    } else {
      // Prompts sent with noReply while the last turn ran stay stored, unanswered.
      run.pending.length = 0
      const queued = run.queue.shift()!
      try {
        start = { user: queued.promote(), resume: queued.resume }
      } catch (error) {
        queued.waiter?.reject(error)
        return
      }
      if (queued.waiter) answering.push(queued.waiter)
    }
    const control: TurnControl = {
      signal: controller.signal,
      take,
      waiting: () => new Set(run.pending.flatMap((steer) => (steer.promote ? [] : [steer.user.info.id]))),
      setStatus: (status) => this.setStatus(instance, sessionID, status),
    }
    try {
      const reply = await this.runner.turn(instance, sessionID, start, control)
      run.outcome = turnOutcome(reply, controller.signal.aborted)
      for (const waiter of answering) waiter.resolve(reply)
      // An abort drops what still waits: those callers get the aborted reply.
      if (controller.signal.aborted) this.drop(run, (waiter) => waiter.resolve(reply))
    } catch (error) {
      run.outcome = thrownOutcome(error, controller.signal.aborted)
      for (const waiter of answering) waiter.reject(error)
      if (controller.signal.aborted) this.drop(run, (waiter) => waiter.reject(error))
    }
  }

  private drop(run: SessionRun, answer: (waiter: Waiter) => void): void {
    for (const dropped of [...run.pending.splice(0), ...run.queue.splice(0)]) if (dropped.waiter) answer(dropped.waiter)
  }

  private stopped(instance: Instance, sessionID: string, run: SessionRun): void {
    // A disposed instance has dropped its state already.
    if (!instance.isDisposed) {
      this.state(instance).runs.delete(sessionID)
      this.setStatus(instance, sessionID, { type: 'idle' })
      this.kernel.publish(instance, SessionIdle, { sessionID })
    }
    for (const listener of this.stopListeners) listener(sessionID)
    // Last: an idle instance may be evicted at once.
    run.unpin()
  }
}
