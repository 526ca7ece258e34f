/** One flattened permission rule: for `permission` (a tool's permission, wildcards allowed) and `pattern`, do `action`. */
export interface PermissionRuleLike {
  permission: string
  pattern: string
  action: 'allow' | 'ask' | 'deny'
}

const compiled = new Map<string, RegExp>()

/** OpenCode's wildcard: `*` is any run of characters (slashes included), `?` one character. */
export function wildcardMatch(value: string, pattern: string): boolean {
  let regex = compiled.get(pattern)
  if (!regex) {
    let source = '^'
    for (const char of pattern) {
      if (char === '*') source += '.*'
      else if (char === '?') source += '.'
      else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&')
    }
    regex = new RegExp(source + '$', 's')
    if (compiled.size > 1000) compiled.clear()
    compiled.set(pattern, regex)
  }
  return regex.test(value)
}

/** The last rule matching both the permission and the pattern; an `ask` rule when none does. */
export function evaluatePermission<R extends PermissionRuleLike>(
  rules: readonly R[],
  permission: string,
  pattern: string,
): R | PermissionRuleLike {
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i]!
    if (wildcardMatch(permission, rule.permission) && wildcardMatch(pattern, rule.pattern)) return rule
  }
  return { permission, pattern: '*', action: 'ask' }
}
