// Shared by the agent plugin's tests: writing project files and reading rules.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { PermissionAction, PermissionRule } from '../../plugins/agent/types.js'

/** Writes `files` (paths relative to `root`, folders created) and returns `root`. */
export function writeFiles(root: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    const target = join(root, path)
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, content)
  }
  return root
}

/** A markdown file with YAML frontmatter lines and a body. */
export function markdown(frontmatter: string, body = ''): string {
  return `---\n${frontmatter.trim()}\n---\n${body}`
}

function wildcard(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  )
}

/** The action the last matching rule gives, as the permission service will evaluate it. */
export function decide(
  rules: readonly PermissionRule[],
  permission: string,
  pattern = '*',
): PermissionAction | undefined {
  let action: PermissionAction | undefined
  for (const rule of rules)
    if (wildcard(rule.permission).test(permission) && wildcard(rule.pattern).test(pattern)) action = rule.action
  return action
}

/** Rules as `[permission, pattern, action]` triples, easier to compare. */
export function triples(rules: readonly PermissionRule[]): [string, string, PermissionAction][] {
  return rules.map((rule) => [rule.permission, rule.pattern, rule.action])
}
