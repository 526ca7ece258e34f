import type { PermissionRule } from '../agent/types.js'
import { NamedError } from '../../kernel/errors.js'

/** OpenCode's wildcard: `*` is any run of characters (slashes included), `?` one character. */
export function wildcardMatch(value: string, pattern: string): boolean {
  let regex = '^'
  for (const char of pattern) {
    if (char === '*') regex += '.*'
    else if (char === '?') regex += '.'
    else regex += char.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(regex + '$', 's').test(value)
}

/** The action of the last rule matching both the permission and the pattern; `ask` when none does. */
export function evaluate(rules: readonly PermissionRule[], permission: string, pattern: string): PermissionRule {
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i]!
    if (wildcardMatch(permission, rule.permission) && wildcardMatch(pattern, rule.pattern)) return rule
  }
  return { permission, pattern: '*', action: 'ask' }
}

/** A tool call stopped by a `deny` rule. */
export class PermissionDeniedError extends NamedError {
  constructor(rules: PermissionRule[]) {
    super('PermissionDeniedError', 403, {
      message: `The user has specified a rule which prevents you from using this specific tool call. Here are some of the relevant rules ${JSON.stringify(rules)}`,
    })
  }
}

/** A tool call the user rejected; `stop` ends the loop (no feedback was given). */
export class PermissionRejectedError extends NamedError {
  constructor(
    readonly feedback?: string,
    readonly stop = feedback === undefined,
  ) {
    super('PermissionRejectedError', 403, {
      message: feedback
        ? `The user rejected permission to use this specific tool call with the following feedback: ${feedback}`
        : 'The user rejected permission to use this specific tool call.',
    })
  }
}
