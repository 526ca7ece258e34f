// MCP server configs as OpenCode 1.x writes them (`mcp.<name>`: `enabled`, `timeout` in ms,
// camelCase `oauth`) and as 2.1 does (`mcp.servers.<name>`: `disabled`, `timeout.startup`,
// snake_case `oauth`), read into the one shape the service connects with.
import type { McpConfig, McpStatus } from './schemas.js'

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json => Boolean(value) && typeof value === 'object' && !Array.isArray(value)

/** Why `entry` is not a server config, or undefined when it is one. */
export function configProblem(entry: unknown): string | undefined {
  if (!isObject(entry)) return 'expected an object'
  if (entry.type === 'local') {
    const command = entry.command
    return Array.isArray(command) && command.length > 0 && command.every((part) => typeof part === 'string')
      ? undefined
      : 'command must be a non-empty list of strings'
  }
  if (entry.type === 'remote')
    return typeof entry.url === 'string' && /^https?:\/\//.test(entry.url) ? undefined : 'url must be an http(s) URL'
  return 'type must be "local" or "remote"'
}

const OAUTH_KEYS: Record<string, string> = {
  client_id: 'clientId',
  client_secret: 'clientSecret',
  scope: 'scope',
  callback_port: 'callbackPort',
  redirect_uri: 'redirectUri',
}

/** 2.1's snake_case OAuth settings as 1.x's camelCase ones (1.x's pass through). */
function oauthOf(oauth: unknown): Json | false | undefined {
  if (oauth === false) return false
  if (!isObject(oauth)) return undefined
  return Object.fromEntries(Object.entries(oauth).map(([key, value]) => [OAUTH_KEYS[key] ?? key, value]))
}

/**
 * A valid entry of either version as the service's config: `disabled` → `enabled: false`,
 * `timeout.startup` → `timeout`, OAuth keys camelCased; other 2.1 settings (`codemode`,
 * `protocol`, catalog and execution timeouts) have no effect here.
 */
export function normalizeConfig(entry: Json): McpConfig {
  const { disabled, timeout, oauth, codemode: _codemode, protocol: _protocol, ...rest } = entry
  const startup = isObject(timeout) ? timeout.startup : timeout
  const converted = oauthOf(oauth)
  return {
    ...rest,
    ...(disabled === true ? { enabled: false } : {}),
    ...(typeof startup === 'number' && startup > 0 ? { timeout: startup } : {}),
    ...(converted !== undefined ? { oauth: converted } : {}),
  } as unknown as McpConfig
}

/** The servers of a config's `mcp` section (1.x: `mcp.<name>`; 2.1: `mcp.servers.<name>`). */
function serverEntries(section: unknown): [string, unknown][] {
  if (!isObject(section)) return []
  const servers = section.servers
  // A 1.x server named "servers" has a `type`; 2.1's `servers` is a map of servers.
  if (isObject(servers) && !('type' in servers)) return Object.entries(servers)
  return Object.entries(section)
}

/** The configured servers, each valid config or the status saying why it is not one. */
export function configured(section: unknown): { name: string; config?: McpConfig; status?: McpStatus }[] {
  return serverEntries(section).map(([name, entry]) => {
    const problem = configProblem(entry)
    if (!problem) return { name, config: normalizeConfig(entry as Json) }
    if (isObject(entry) && (entry.enabled === false || entry.disabled === true))
      return { name, status: { status: 'disabled' } }
    return { name, status: { status: 'failed', error: `Invalid MCP config: ${problem}` } }
  })
}
