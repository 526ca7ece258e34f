import { NamedError } from '../../sdk/index.js'
import type { PermissionRule } from '../agent/types.js'

/** A tool call stopped by a `deny` rule. */
export class PermissionDeniedError extends NamedError {
  constructor(rules: PermissionRule[]) {
    super('PermissionDeniedError', 403, {
      message: `The user has specified a rule which prevents you from using this specific tool call. Here are some of the relevant rules ${JSON.stringify(rules)}`,
    })
  }
}

/** Rules for what the user asked for directly (a shell command, a command's subtask): nothing is asked. */
export const USER_RULES: PermissionRule[] = [{ permission: '*', pattern: '*', action: 'allow' }]
