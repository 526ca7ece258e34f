// The session plugin's public contract for other plugins. Import with `import type` only.
import { type Instance, type PermissionAsk } from '../../sdk/index.js'
import type { PermissionRule } from '../agent/types.js'
import type { MessageWithParts, SessionInfo, ToolPart } from './schemas.js'

/** A permission question from a running tool call, with the rules that apply to it. */
export interface PermissionGateRequest extends PermissionAsk {
  sessionID: string
  messageID: string
  callID: string
  rules: PermissionRule[]
}

/**
 * What the permission plugin provides as the `permissionGate` decorator: asks the user when the
 * rules say `ask`. Resolves when allowed; throws a named error when rejected; `signal` cancels.
 */
export interface PermissionGate {
  ask(instance: Instance, request: PermissionGateRequest, signal: AbortSignal): Promise<void>
}

/**
 * A plugin that can finish tool calls the server stopped in while they waited on the user (a
 * pending permission). Held calls stay `running` after a restart until the plugin resumes them.
 */
export interface InterruptedCallHold {
  /** Whether this plugin will resume `part`. */
  holds(part: ToolPart): boolean
  /** The held call was given up (a new prompt, an abort, the session deleted). */
  released(instance: Instance, sessionID: string, callID: string): void
}

/** How to finish a held call: run the tool again, or fail it (and stop the loop when `stop`). */
export type ResumeOutcome = { run: true } | { run: false; error: string; stop: boolean }

/** What the session plugin offers other plugins (the task tool, commands) as `app.sessions`. */
export interface SessionApi {
  /** The session; NotFoundError (404) when it does not exist in this instance. */
  get(instance: Instance, sessionID: string): SessionInfo
  /** Registers a hold; call it while registering (before the server is ready). */
  holdInterrupted(hold: InterruptedCallHold): void
  /** Finishes a held call and, once none of its message's calls is held, continues the loop. */
  resumeTool(instance: Instance, sessionID: string, messageID: string, callID: string, outcome: ResumeOutcome): void
  create(
    instance: Instance,
    input: { parentID?: string; title?: string; permission?: PermissionRule[] },
  ): { id: string }
  /** Runs a prompt to its end and returns the final assistant message's text; throws when the reply ended in an error. */
  promptText(
    instance: Instance,
    sessionID: string,
    input: { text: string; agent?: string; model?: { providerID: string; modelID: string } },
  ): Promise<string>
  abort(instance: Instance, sessionID: string): void
  /** Changes the stored session and publishes `session.updated`; 404 when unknown. */
  update(instance: Instance, sessionID: string, change: (info: SessionInfo) => void): SessionInfo
  /** A session by id whatever its project (for pages served without a directory, like shares). */
  find(sessionID: string): SessionInfo | undefined
  /** The newest `limit` messages of a session with their parts, oldest first. */
  messages(sessionID: string, limit: number): MessageWithParts[]
  /**
   * The instance a session belongs to, whatever the project: v2 session routes take their
   * location from the session. A tagged 404 `SessionNotFoundError {sessionID}` when unknown.
   */
  locate(sessionID: string): Promise<Instance>
  /**
   * Registers a blocking subagent call of `sessionID` (the task tool waiting on its child) that
   * `POST /experimental/session/:id/background` may detach: `detach` then lets the call return
   * while the child keeps running. Returns the function that unregisters it (call it when done).
   */
  blockingSubagent(instance: Instance, sessionID: string, detach: () => void): () => void
}

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionApi
  }
}
