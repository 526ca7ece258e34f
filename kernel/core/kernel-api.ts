import type { FastifyBaseLogger } from 'fastify'
import type { BusEvent, EventBus, EventDefinition, EventProperties } from '../events/bus.js'
import type { ConfigObject, LoadedConfig } from '../instances/config.js'
import type { Instance, InstanceManager } from '../instances/instance.js'
import type { Storage } from '../storage/sqlite-storage.js'
import type { ExtensionRegistry } from './extensions.js'
import type { ProcessGroups } from './processes.js'
import type { ToolRegistry } from './tools.js'

/** This server as `GET /global/health` reports it. */
export interface NodeInfo {
  /** The node id in a cluster; on SQLite an id of this process. */
  id: string
  /** How clients and the other nodes reach it (once listening). */
  url?: string
  backend: 'postgres' | 'sqlite'
  /** The directories whose instance runs here (in a cluster: whose lease this node holds). */
  instances: string[]
  /** PostgreSQL only: whether the database answers. */
  database?: 'reachable' | 'unreachable'
}

/** Filesystem locations the server uses. */
export interface KernelPaths {
  home: string
  /** The kernel's data directory (SQLite, auth.json). */
  data: string
  /** OpenCode's global config directory, read as OpenCode reads it. */
  config: string
  state: string
}

/**
 * A third-party plugin entry (config `plugin` of the server's directory, `ServerOptions.plugins`)
 * as the kernel read it at start: resolved to a file, imported once, classified.
 */
export interface PluginEntry {
  /** As written. */
  specifier: string
  /** The file it resolved to. */
  file: string
  /**
   * `kernel`: a kernel plugin, which the kernel loads. `foreign`: not one (an OpenCode plugin
   * module, or a file Node cannot import, such as TypeScript), left to the plugin hosting those.
   * `broken`: neither, or it could not be imported.
   */
  kind: 'kernel' | 'foreign' | 'broken'
  /** The evaluated module, when the import succeeded. */
  module?: Record<string, unknown>
}

/** A kernel plugin the server runs, or a third-party one it left out (`Kernel.plugins()`). */
export interface KernelPluginInfo {
  /** The plugin's name; for a third-party entry that never loaded, the entry as written. */
  name: string
  /** Built into the server, else named in config `plugin` or `ServerOptions.plugins`. */
  builtin: boolean
  /** Third-party: the entry as written (a package name or a path). */
  specifier?: string
  /** The file it was loaded from, when known. */
  file?: string
  /** The definition's `version`. */
  version?: string
  /** `failed`: left out (could not be loaded, checked or registered), with `error`. */
  status: 'active' | 'failed'
  error?: string
}

/** What the kernel gives every plugin. */
export interface Kernel {
  readonly version: string
  readonly paths: KernelPaths
  readonly bus: EventBus
  readonly storage: Storage
  readonly instances: InstanceManager
  readonly extensions: ExtensionRegistry
  /** Tools the model can call: `kernel.tools.register(pluginName, defineTool({...}))`. */
  readonly tools: ToolRegistry
  /**
   * Child processes that may outlive a request: `kernel.processes.track(child, { label, group, instance })`
   * right after spawning (with `detached: true`), so shutdown and instance disposal end them.
   */
  readonly processes: ProcessGroups
  readonly log: FastifyBaseLogger
  /** The environment the server runs with (PATH, XDG dirs, `{env:}` substitution in config). */
  readonly env: NodeJS.ProcessEnv
  /**
   * The `authorization` header value for the server's own in-process requests (`app.inject`), set
   * when the server has a password; a per-process token, never the password.
   */
  readonly internalAuthorization?: string
  /** Dev mode (`--dev`): plugins may watch the sources they load themselves and reload them. */
  readonly dev: boolean
  /** Publishes an event for one instance (or `global`); returns it as every subscriber got it. */
  publish<E extends EventDefinition>(target: Instance | 'global', event: E, properties: EventProperties<E>): BusEvent
  /** The merged config of an instance; throws ConfigInvalidError when a file cannot be used. */
  config(instance: Instance): ConfigObject
  /** The config with where each part came from. */
  loadedConfig(instance: Instance): LoadedConfig
  /** Forgets an instance's cached config so the next read sees the files again. */
  invalidateConfig(instance: Instance): void
  /** Runs `hook` for every instance when it boots (and for those already running). */
  onInstanceBoot(hook: (instance: Instance) => void): void
  /**
   * True while plugins register again in a running process (dev mode reloads them): work meant
   * once per process start, such as recovering what a crash left unfinished, must be skipped.
   */
  readonly reloading: boolean
  /**
   * True when the stores live in PostgreSQL shared with other servers: an instance then runs on
   * the one server holding its lease, so work once per instance (crash recovery) belongs in
   * `onInstanceBoot`, not at start-up.
   */
  readonly clustered: boolean
  /** Which server this is, its storage backend and the instances it runs. */
  node(): NodeInfo
  /**
   * Process-lifetime state under `key`: the same object for the same key, also for a plugin that
   * dev mode reloaded (waiters of pending requests, queues). Prefer `instance.state` for state of
   * one project directory.
   */
  keep<T>(key: string, init: () => T): T
  /**
   * How the kernel read the third-party plugin entry that resolved to `file`, if one did. A plugin
   * hosting other kinds of plugins (OpenCode's) takes the module from here instead of importing
   * the file a second time, and leaves kernel plugins to the kernel.
   */
  pluginEntry(file: string): PluginEntry | undefined
  /** The kernel plugins this server runs, in registration order, then the third-party ones it left out. */
  plugins(): readonly KernelPluginInfo[]
}
