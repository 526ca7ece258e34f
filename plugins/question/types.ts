// The question plugin's public contract for other plugins. Import with `import type` only.
import type { Instance } from '../../sdk/index.js'

/** What the question plugin offers other plugins as `app.forms` (OpenCode 2.1's forms). */
export interface FormApi {
  /**
   * Cancels the session's pending forms that a tool call waits on (`form.cancelled`; the `question`
   * tool fails and the loop stops); forms a client made stay, as in OpenCode 2.1. An aborted tool
   * call cancels its own form already; this is for the rest. Returns how many were cancelled.
   */
  cancelSession(instance: Instance, sessionID: string): number
}

declare module 'fastify' {
  interface FastifyInstance {
    forms: FormApi
  }
}
