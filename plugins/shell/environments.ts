// Per-session environments (`PUT /api/session/{sessionID}/environment`): the variables a session's
// shells run with instead of the server's. In memory only, as in OpenCode 2.1.2 (they often hold
// secrets); a restart forgets them and the client sets them again.
import { InvalidRequestError } from '../../sdk/index.js'

/** Sessions whose environment is kept; the least recently set is forgotten beyond. */
const MAX_SESSIONS = 1024
const MAX_VARIABLES = 4096
/** All of `NAME=value\0` together: well under the kernel's limit for a process's arguments and environment. */
const MAX_TOTAL_BYTES = 1024 * 1024
/** One `NAME=value\0` (Linux refuses longer strings in an environment: MAX_ARG_STRLEN). */
const MAX_VARIABLE_BYTES = 128 * 1024

/** Throws a precise 400 for variables a process could not be started with. */
export function checkVariables(variables: Record<string, string>): void {
  const names = Object.keys(variables)
  const fail = (message: string) => {
    throw new InvalidRequestError(message, { kind: 'Payload', field: 'variables' })
  }
  if (names.length > MAX_VARIABLES) fail(`Too many variables: ${names.length} (at most ${MAX_VARIABLES})`)
  let total = 0
  for (const name of names) {
    const value = variables[name]!
    if (name === '' || name.includes('=') || name.includes('\0'))
      fail(`Invalid variable name ${JSON.stringify(name)}: it must be non-empty, without "=" or NUL`)
    if (value.includes('\0')) fail(`The value of ${name} contains a NUL character`)
    const bytes = Buffer.byteLength(name) + Buffer.byteLength(value) + 2
    if (bytes > MAX_VARIABLE_BYTES) fail(`${name} is too long: ${bytes} bytes (at most ${MAX_VARIABLE_BYTES})`)
    total += bytes
  }
  if (total > MAX_TOTAL_BYTES) fail(`The variables are too large: ${total} bytes (at most ${MAX_TOTAL_BYTES})`)
}

/** Environments by session id, newest last. */
export class SessionEnvironments {
  constructor(private readonly bySession: Map<string, Record<string, string>>) {}

  /** Replaces the session's environment (checked with `checkVariables` first). */
  set(sessionID: string, variables: Record<string, string>): void {
    checkVariables(variables)
    this.bySession.delete(sessionID)
    this.bySession.set(sessionID, { ...variables })
    for (const oldest of this.bySession.keys()) {
      if (this.bySession.size <= MAX_SESSIONS) break
      this.bySession.delete(oldest)
    }
  }

  get(sessionID: string): Record<string, string> | undefined {
    const variables = this.bySession.get(sessionID)
    return variables ? { ...variables } : undefined
  }

  delete(sessionID: string): void {
    this.bySession.delete(sessionID)
  }
}
