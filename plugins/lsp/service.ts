import { isPlainObject, stringList, stringMap, type ConfigObject, type Instance } from '../../sdk/index.js'
import { findExecutable } from '../../sdk/executable.js'
import type { LSPServer } from './schemas.js'
import { BUILTIN_SERVERS, type LspServerDefinition } from './servers.js'

/** A server after config: a built-in one overridden, or one config added. */
export interface LspServer extends LspServerDefinition {
  disabled: boolean
  env: Record<string, string>
  initialization?: Record<string, unknown>
}

/**
 * The built-in servers with config `lsp` applied: `false` disables all; `lsp.<id>` overrides
 * `disabled`, `command`, `extensions`, `env` (or `environment`) and `initialization`, or adds a
 * server when the id is new. Entries of the wrong shape are ignored.
 */
export function configuredServers(config: ConfigObject): LspServer[] {
  const lsp = config.lsp
  const overrides = isPlainObject(lsp) ? lsp : {}
  const apply = (base: LspServerDefinition, override: unknown): LspServer => {
    const entry = isPlainObject(override) ? override : {}
    const server: LspServer = {
      ...base,
      command: stringList(entry.command)?.length ? stringList(entry.command)! : base.command,
      extensions: stringList(entry.extensions) ?? base.extensions,
      disabled: lsp === false || entry.disabled === true,
      env: { ...stringMap(entry.environment), ...stringMap(entry.env) },
    }
    if (isPlainObject(entry.initialization)) server.initialization = entry.initialization
    return server
  }
  const builtin = new Set(BUILTIN_SERVERS.map((server) => server.id))
  return [
    ...BUILTIN_SERVERS.map((server) => apply(server, overrides[server.id])),
    ...Object.entries(overrides)
      .filter(([id, entry]) => !builtin.has(id) && isPlainObject(entry))
      .map(([id, entry]) => apply({ id, name: id, extensions: [], command: [] }, entry)),
  ]
}

/** What `GET /lsp?all=true` answers: every configured server and whether it could run here. */
export function lspServers(instance: Instance, config: ConfigObject, env: NodeJS.ProcessEnv): LSPServer[] {
  const scope = { directory: instance.directory, worktree: instance.worktree, env }
  return configuredServers(config).map((server) => {
    const available = server.command[0] !== undefined && findExecutable(server.command[0], scope) !== undefined
    return {
      id: server.id,
      name: server.name,
      root: instance.worktree,
      status: server.disabled ? 'disabled' : available ? 'available' : 'unavailable',
      extensions: server.extensions,
      command: server.command,
      available,
    }
  })
}
