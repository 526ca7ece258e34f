// One turn of the agent loop: the held call or subtasks it starts with, then its steps
// (turn-steps.ts). The walk of a prompt is in ../index.ts.
import type { SessionKernel } from '../index.js'
import type { FastifyInstance } from 'fastify'
import { type Instance } from '../../../sdk/index.js'
import type { MessageWithParts } from '../schemas.js'
import type { SessionHistory } from '../store/history.js'
import type { PartWriter } from '../store/part-writer.js'
import type { SessionService } from '../store/service.js'
import type { TurnControl, TurnRunner, TurnStart, UserWithParts } from './turn-control.js'
import { HeldCalls, type HeldCall } from './held-calls.js'
import { StepRunner } from './step/step.js'
import { jsonFormat } from './structured-output.js'
import { ToolCalls } from './step/tool-call.js'
import { TurnSteps } from './turn-steps.js'
import { UserTools, type UserToolCall } from './user-tools.js'

/**
 * The agent loop: each turn streams steps from the model, runs the tools it calls, and continues
 * until the model stops. Which prompts a turn answers, and when, is admission's (admission.ts).
 */
export class PromptRunner implements TurnRunner {
  /** Sessions whose files changed in the running turn (their diff is published when it ends). */
  private readonly changed: Set<string>
  private readonly held: HeldCalls
  private readonly steps: StepRunner
  private readonly userTools: UserTools

  constructor(
    private readonly app: FastifyInstance,
    private readonly kernel: SessionKernel,
    private readonly sessions: SessionService,
    writer: PartWriter,
    private readonly history: SessionHistory,
  ) {
    // Kept by the kernel: turns running when dev mode reloads this plugin finish in the old code.
    this.changed = kernel.keep('session.changed', () => new Set())
    const tools = new ToolCalls(app, kernel, sessions)
    this.held = new HeldCalls(kernel, sessions, writer, tools)
    this.steps = new StepRunner(app, kernel, sessions, writer, this.changed, tools)
    this.userTools = new UserTools(kernel, sessions, tools)
  }

  /** A tool call the user asked for, without the model (user-tools.ts; the shell route's). */
  runUserTool(call: UserToolCall): Promise<MessageWithParts> {
    return this.userTools.runUserTool(call)
  }

  /** Records a call a restart left waiting; it stays `running` until resumed or released. */
  holdCall(sessionID: string, call: HeldCall): void {
    this.held.hold(sessionID, call)
  }

  /** Fails the session's held calls (their message ends aborted) and tells their holders. */
  releaseHeld(instance: Instance, sessionID: string): void {
    this.held.release(instance, sessionID)
  }

  /** Forgets one held call; returns the user message its turn answered, for admission to resume it. */
  unhold(sessionID: string, messageID: string, callID: string): UserWithParts | undefined {
    return this.held.unhold(sessionID, messageID, callID)
  }

  /** Once a loop stops: the session's diff, when its files changed. */
  async finished(instance: Instance, sessionID: string): Promise<void> {
    if (!this.changed.delete(sessionID)) return
    await this.history
      .publishDiff(instance, sessionID)
      .catch((error) => this.kernel.log.warn({ err: error, sessionID }, 'session diff failed'))
  }

  /**
   * One turn: a held call to finish first (a resume), or the prompt's subtasks, then steps until
   * the model stops.
   */
  async turn(instance: Instance, sessionID: string, start: TurnStart, control: TurnControl): Promise<MessageWithParts> {
    const agent =
      start.agent ??
      (await this.app.agents.get(instance, start.user.info.agent)) ??
      (await this.app.agents.defaultAgent(instance))
    const model = start.model ?? (await this.app.providers.model(instance, start.user.info.model))
    if (start.resume) {
      const resumed = await this.held.finish(instance, sessionID, agent, start.resume, control)
      if (!resumed.continue) return resumed.message
    } else {
      // Subtasks the prompt carries (a command's) run first, each as a `task` call; the model then
      // continues with their results.
      for (const subtask of start.user.parts) {
        if (subtask.type !== 'subtask') continue
        const reply = await this.userTools.runSubtask(instance, sessionID, start.user, subtask, agent, control)
        if (control.signal.aborted) return reply
      }
    }
    const deps = { app: this.app, kernel: this.kernel, sessions: this.sessions, steps: this.steps }
    const wanted = start.resume ? undefined : jsonFormat(start.user.info.format)
    const steps = new TurnSteps(deps, instance, sessionID, control, { user: start.user, agent, model, wanted })
    return steps.run(start.resume ? undefined : start.user.parts.find((part) => part.type === 'compaction'))
  }
}
