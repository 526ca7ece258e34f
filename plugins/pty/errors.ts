import { NamedError } from '../../sdk/index.js'

/** An unknown terminal, or one that has exited. */
export class PtyNotFoundError extends NamedError {
  constructor(ptyID: string) {
    super('PtyNotFoundError', 404, { message: `PTY session not found: ${ptyID}`, ptyID })
  }
}
