// The contract between admission (which prompts a turn answers, and when) and the runner that
// runs the turn: how a turn starts, what it may ask of admission, what admission asks of it.
import type { Instance } from '../../../sdk/index.js'
import type { AgentInfo } from '../../agent/types.js'
import type { ModelInfo } from '../../provider/types.js'
import type { MessageWithParts, SessionStatus, UserMessage } from '../schemas.js'
import type { ResumeOutcome } from '../types.js'

export type UserWithParts = MessageWithParts & { info: UserMessage }

/** A caller waiting for the reply that answers its prompt. */
export interface Waiter {
  resolve(message: MessageWithParts): void
  reject(error: unknown): void
}

/**
 * A stored prompt not yet in the conversation. It joins at the loop's next step boundary
 * ("steer"): the next model call sees it last. Agent and model were resolved when it arrived, so
 * joining needs no await (see `TurnControl.take`).
 */
export interface Steer {
  user: UserWithParts
  agent: AgentInfo
  model: ModelInfo
  /** Absent for `noReply` prompts: they join the conversation but ask for nothing. */
  waiter?: Waiter
  /** Stores a prompt admitted before it was stored (a v2 input); called as it joins. */
  promote?: () => void
  /** The v2 input it stands for (so that input can be withdrawn before it joins). */
  inputID?: string
}

/** Continues a turn the server stopped in: finish this held tool call first. */
export interface TurnResume {
  messageID: string
  callID: string
  outcome: ResumeOutcome
}

/** How a turn starts: the prompt it answers (agent and model resolved when known), or a held call. */
export interface TurnStart {
  user: UserWithParts
  agent?: AgentInfo
  model?: ModelInfo
  resume?: TurnResume
}

/** What a running turn may ask of admission. */
export interface TurnControl {
  signal: AbortSignal
  /**
   * Moves the prompts that arrived since the last call into the conversation and returns the
   * newest (the one the next step answers), or undefined when none arrived. Call it in the same
   * tick as the step's assistant message gets its id: then every prompt either sorts before that
   * message and is in its model call, or sorts after it and waits for the next step.
   */
  take(): Steer | undefined
  /** Stored prompts that have not joined yet: the model must not see them. */
  waiting(): ReadonlySet<string>
  setStatus(status: SessionStatus): void
}

/** What the runner does for admission: one turn, and held calls a restart left. */
export interface TurnRunner {
  turn(instance: Instance, sessionID: string, start: TurnStart, control: TurnControl): Promise<MessageWithParts>
  /** Fails held calls of the session (a new prompt or an abort gives them up). */
  releaseHeld(instance: Instance, sessionID: string): void
  /** Forgets one held call; returns the user message its turn answered, when it still exists. */
  unhold(sessionID: string, messageID: string, callID: string): UserWithParts | undefined
  /** Called once when a loop stops (publishes the session's diff). */
  finished(instance: Instance, sessionID: string): Promise<void>
}
