import { TaggedError } from '../../sdk/index.js'

/** An unknown shell, or one that was removed. */
export class ShellNotFoundError extends TaggedError {
  constructor(id: string) {
    super('ShellNotFoundError', 404, `Shell command not found: ${id}`, { id })
  }
}
