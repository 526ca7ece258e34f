// Pure helpers that turn OpenCode's `permission` config into flat rules. The permission plugin
// evaluates the rules later (last match wins); nothing here touches the filesystem.
import { join } from 'node:path'
import type { PermissionAction, PermissionRule } from './types.js'

/** `{ "<pattern>": action }` for one permission. */
export type PermissionPatterns = Record<string, PermissionAction>

/** OpenCode's `permission` config: one action for everything, or per permission an action or patterns. */
export type PermissionConfig = PermissionAction | Record<string, PermissionAction | PermissionPatterns>

export const PERMISSION_ACTIONS: readonly PermissionAction[] = ['allow', 'ask', 'deny']

export function isPermissionAction(value: unknown): value is PermissionAction {
  return typeof value === 'string' && (PERMISSION_ACTIONS as readonly string[]).includes(value)
}

/** Why `value` is not a permission config, or undefined when it is one. */
export function permissionConfigProblem(value: unknown): string | undefined {
  const actions = PERMISSION_ACTIONS.map((action) => `"${action}"`).join(', ')
  if (isPermissionAction(value)) return undefined
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return `must be one of ${actions} or an object`
  for (const [permission, entry] of Object.entries(value)) {
    if (isPermissionAction(entry)) continue
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      return `"${permission}" must be one of ${actions} or an object of patterns`
    for (const [pattern, action] of Object.entries(entry)) {
      if (!isPermissionAction(action)) return `"${permission}" pattern "${pattern}" must be one of ${actions}`
    }
  }
  return undefined
}

/** `~`, `~/x`, `$HOME` and `$HOME/x` point into the home directory, as in OpenCode. */
export function expandHome(pattern: string, home: string): string {
  if (pattern === '~' || pattern === '$HOME') return home
  if (pattern.startsWith('~/')) return join(home, pattern.slice(2))
  if (pattern.startsWith('$HOME/')) return join(home, pattern.slice(6))
  return pattern
}

/** Flattens a permission config to rules in config order; a bare action means pattern `*`. */
export function flattenPermission(config: PermissionConfig | undefined, home: string): PermissionRule[] {
  if (config === undefined) return []
  if (typeof config === 'string') return [{ permission: '*', pattern: '*', action: config }]
  const rules: PermissionRule[] = []
  for (const [permission, entry] of Object.entries(config)) {
    if (typeof entry === 'string') {
      rules.push({ permission, pattern: '*', action: entry })
      continue
    }
    for (const [pattern, action] of Object.entries(entry))
      rules.push({ permission, pattern: expandHome(pattern, home), action })
  }
  return rules
}

// Tools that change files share one permission, as in OpenCode.
const EDIT_TOOLS = new Set(['edit', 'write', 'patch', 'apply_patch', 'multiedit'])

/** `tools: { bash: false, write: false }` as a permission config: `{ bash: "deny", edit: "deny" }`. */
export function permissionFromTools(tools: Record<string, boolean> | undefined): Record<string, PermissionAction> {
  const permission: Record<string, PermissionAction> = {}
  for (const [tool, enabled] of Object.entries(tools ?? {}))
    permission[EDIT_TOOLS.has(tool) ? 'edit' : tool] = enabled ? 'allow' : 'deny'
  return permission
}

/**
 * Merges two permission configs, later wins: a bare action replaces everything, permissions
 * merge key by key and pattern objects merge pattern by pattern.
 */
export function mergePermission(
  base: PermissionConfig | undefined,
  next: PermissionConfig | undefined,
): PermissionConfig | undefined {
  if (next === undefined) return base
  if (base === undefined || typeof base === 'string' || typeof next === 'string') return next
  const merged: Record<string, PermissionAction | PermissionPatterns> = { ...base }
  for (const [permission, entry] of Object.entries(next)) {
    const current = merged[permission]
    merged[permission] = typeof entry === 'object' && typeof current === 'object' ? { ...current, ...entry } : entry
  }
  return merged
}

/** `external_directory` asks, except inside skill folders (the skill tool reads there). */
export function externalDirectoryPatterns(skillDirectories: readonly string[]): PermissionPatterns {
  const patterns: PermissionPatterns = { '*': 'ask' }
  for (const directory of skillDirectories) patterns[join(directory, '*')] = 'allow'
  return patterns
}

/**
 * The rules every agent starts from (OpenCode's defaults): everything allowed except loops,
 * questions, plan-mode switches, `.env` files and directories outside the project, which ask;
 * skill folders count as inside.
 */
export function defaultPermission(skillDirectories: readonly string[]): PermissionConfig {
  return {
    '*': 'allow',
    doom_loop: 'ask',
    external_directory: externalDirectoryPatterns(skillDirectories),
    question: 'deny',
    plan_enter: 'deny',
    plan_exit: 'deny',
    read: { '*': 'allow', '*.env': 'ask', '*.env.*': 'ask', '*.env.example': 'allow' },
  }
}

/**
 * An agent's rules, in the order OpenCode applies them (the last matching rule wins): built-in
 * defaults, the built-in agent's own rules, the user's top-level `permission`, then the agent's
 * `tools` switches and `permission` from config or markdown.
 */
export function agentRules(input: {
  defaults: PermissionConfig
  builtIn?: PermissionConfig
  user?: PermissionConfig
  tools?: Record<string, boolean>
  agent?: PermissionConfig
  home: string
}): PermissionRule[] {
  const fromTools = permissionFromTools(input.tools)
  // An explicit `permission` entry beats a `tools` switch for the same permission.
  const own = Object.keys(fromTools).length > 0 ? mergeReplacing(fromTools, input.agent) : input.agent
  return [input.defaults, input.builtIn, input.user, own].flatMap((config) => flattenPermission(config, input.home))
}

function mergeReplacing(base: Record<string, PermissionAction>, next: PermissionConfig | undefined): PermissionConfig {
  if (next === undefined) return base
  if (typeof next === 'string') return next
  return { ...base, ...next }
}
