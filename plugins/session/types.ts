// The session plugin's public contract for other plugins. Import with `import type` only.
import type { Instance } from '../../kernel/instance.js'
import type { PermissionAsk } from '../../kernel/tool.js'
import type { PermissionRule } from '../agent/types.js'

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

/** What the session plugin offers other plugins (the task tool, commands) as `app.sessions`. */
export interface SessionApi {
  create(instance: Instance, input: { parentID?: string; title?: string }): { id: string }
  /** Runs a prompt to its end and returns the final assistant message's text. */
  promptText(instance: Instance, sessionID: string, input: { text: string; agent?: string; model?: { providerID: string; modelID: string } }): Promise<string>
  abort(instance: Instance, sessionID: string): void
}

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionApi
  }
}
