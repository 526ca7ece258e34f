// The tui plugin's public contract (`app.tui`). Import with `import type` only.
import { type Instance } from '../../sdk/index.js'

export interface TuiApi {
  /**
   * Asks the TUI attached to this directory: the request waits for its `GET /tui/control/next`,
   * and the promise resolves with the body of its next `POST /tui/control/response`.
   */
  request(instance: Instance, path: string, body: unknown): Promise<unknown>
}

declare module 'fastify' {
  interface FastifyInstance {
    tui: TuiApi
  }
}
