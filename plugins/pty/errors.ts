import { NamedError, TaggedError } from '../../sdk/index.js'

/** An unknown terminal, or one that has exited. */
export class PtyNotFoundError extends NamedError {
  constructor(ptyID: string) {
    super('PtyNotFoundError', 404, { message: `PTY session not found: ${ptyID}`, ptyID })
  }
}

/** A persistent terminal's session that does not exist (or no session plugin runs). */
export class SessionNotFoundError extends TaggedError {
  constructor(sessionID: string) {
    super('SessionNotFoundError', 404, `Session not found: ${sessionID}`, { sessionID })
  }
}
