// The shell plugin's public contract for other plugins (`app.shells`). Import with `import type` only.
import type { Instance } from '../../sdk/index.js'
import type { ShellInfo, ShellOutput } from './schemas.js'

export type { ShellInfo, ShellOutput }

/** What to run: `POST /api/shell`'s body, plus what only plugins may set. */
export interface ShellStartInput {
  command: string
  /** Relative to the location (and inside it), or an absolute existing directory; default: the location. */
  cwd?: string
  /** Milliseconds; 0 or absent: none. The shell then ends with status `timeout`. */
  timeout?: number
  metadata?: Record<string, unknown>
  /**
   * The session the command runs for: set as `metadata.sessionID`, and the session's environment
   * (`PUT /api/session/{id}/environment`), when it has one, replaces the server's.
   */
  sessionID?: string
  /** Variables added over the environment (server's or session's) and the `shell.env` hooks. */
  env?: Record<string, string>
}

export interface ShellRunOptions {
  /** Aborting kills the command (status `killed`); `run` still resolves, with its output so far. */
  signal?: AbortSignal
  /** Called once the command runs (e.g. to publish `session.shell.started`). */
  onStart?: (info: ShellInfo) => void
  /** Bytes of output `run` answers from the start (default 65536, at most 1 MiB); page on with `output`. */
  outputLimit?: number
}

/**
 * Shell commands of a location (`/api/shell*`): processes with their merged output in a file
 * under the data dir, listed while running, kept after they end until removed (or the location
 * is disposed). Errors are tagged: `ShellNotFoundError` (404), `InvalidRequestError` (400).
 */
export interface ShellApi {
  /** Starts a command; answers its running info (`shell.created` published). */
  start(instance: Instance, input: ShellStartInput): Promise<ShellInfo>
  /** The running commands, oldest first. */
  list(instance: Instance): ShellInfo[]
  /** One command, running or ended; ShellNotFoundError when unknown or removed. */
  get(instance: Instance, id: string): ShellInfo
  /** Resolves with the final info once the command ended (`shell.exited` published before). */
  exited(instance: Instance, id: string): Promise<ShellInfo>
  /** A page of its output from byte `cursor` (default 0), at most `limit` bytes (default 65536). */
  output(instance: Instance, id: string, page?: { cursor?: number; limit?: number }): Promise<ShellOutput>
  /** Ends a running command (status `killed`) and keeps it; nothing for an ended one. */
  kill(instance: Instance, id: string): void
  /** Kills it if running and forgets it and its output; nothing when unknown. */
  remove(instance: Instance, id: string): void
  /** `start`, wait for the end (abort kills), then the first page of the output. */
  run(
    instance: Instance,
    input: ShellStartInput,
    options?: ShellRunOptions,
  ): Promise<{ shell: ShellInfo; output: ShellOutput }>
  /** The session's environment as last set, if any. */
  environment(sessionID: string): Record<string, string> | undefined
}

declare module 'fastify' {
  interface FastifyInstance {
    shells: ShellApi
  }
}
