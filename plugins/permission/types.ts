// The permission plugin's public contract for other plugins. Import with `import type` only.
import type { Instance } from '../../sdk/index.js'

/** What the permission plugin offers other plugins as `app.permissionRequests`. */
export interface PermissionRequestsApi {
  /**
   * Drops the session's pending requests that tool calls made (`permission.replied` with `reject`
   * for v1 clients) and fails the calls waiting on them; a client's own requests stay, as in
   * OpenCode 2.1. An aborted call drops its own already. Returns how many were dropped.
   */
  cancelSession(instance: Instance, sessionID: string): number
}

declare module 'fastify' {
  interface FastifyInstance {
    permissionRequests: PermissionRequestsApi
  }
}
