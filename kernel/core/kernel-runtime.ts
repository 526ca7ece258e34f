import type { FastifyBaseLogger } from 'fastify'
import { homedir } from 'node:os'
import { join } from 'node:path'
import {
  InProcessBus,
  type BusEvent,
  type EventBus,
  type EventDefinition,
  type EventProperties,
} from '../events/bus.js'
import { globalConfigDir, loadConfig, type ConfigObject, type LoadedConfig } from '../instances/config.js'
import { GlobalDisposed, ServerInstanceDisposed } from '../events/kernel-events.js'
import { Instance, InstanceManager } from '../instances/instance.js'
import { ExtensionRegistry } from './extensions.js'
import type { Kernel, KernelPaths, KernelPluginInfo, NodeInfo, PluginEntry } from './kernel-api.js'
import { findPluginEntry } from './plugin-loader.js'
import { ProcessGroups } from './processes.js'
import { SqliteBackend } from '../storage/sqlite-backend.js'
import { Storage } from '../storage/sqlite-storage.js'
import type { StoresBackend } from '../storage/stores-backend.js'
import { ToolRegistry } from './tools.js'
import { KERNEL_VERSION } from './version.js'

export interface KernelOptions {
  dataDir: string
  log: FastifyBaseLogger
  env: NodeJS.ProcessEnv
  /** Instances kept before the least recently used one is disposed. */
  instanceCapacity: number
  /** Events kept for `Last-Event-ID` replay. */
  replayCapacity: number
  /** The bearer token the security hook accepts from in-process requests. */
  internalToken?: string
  dev?: boolean
  /** Where the stores live (`openBackend`); default the SQLite file in `dataDir`. */
  backend?: StoresBackend
}

/** Where the kernel keeps its data: `OPENCODE_KERNEL_DATA`, else `$XDG_DATA_HOME/opencode-kernel`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OPENCODE_KERNEL_DATA) return env.OPENCODE_KERNEL_DATA
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'opencode-kernel')
}

const CONFIG_STATE = 'kernel.config'

/** The long-lived part of the server: outlives any one Fastify app (hot reload builds a new one). */
export class KernelRuntime implements Kernel {
  readonly version = KERNEL_VERSION
  readonly paths: KernelPaths
  readonly bus: EventBus
  readonly storage: Storage
  readonly instances: InstanceManager
  readonly extensions = new ExtensionRegistry()
  readonly tools = new ToolRegistry()
  readonly processes = new ProcessGroups()
  readonly log: FastifyBaseLogger
  readonly env: NodeJS.ProcessEnv
  readonly internalAuthorization?: string
  readonly dev: boolean
  readonly backend: StoresBackend
  /** The URL the server listens on, once it does. */
  url?: string
  private bootHooks: ((instance: Instance) => void)[] = []
  private readonly kept = new Map<string, unknown>()
  reloading = false
  /** The third-party plugin entries the server read (at start, and again on each dev-mode reload). */
  pluginEntries: readonly PluginEntry[] = []
  /** What `plugins()` answers; the server sets it (at start, and on each dev-mode reload). */
  describePlugins: () => readonly KernelPluginInfo[] = () => []

  constructor(options: KernelOptions) {
    this.log = options.log
    this.env = options.env
    this.dev = options.dev ?? false
    if (options.internalToken) this.internalAuthorization = `Bearer ${options.internalToken}`
    this.paths = {
      home: homedir(),
      data: options.dataDir,
      config: globalConfigDir(options.env),
      state: join(options.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'opencode-kernel'),
    }
    this.bus = new InProcessBus({
      replayCapacity: options.replayCapacity,
      onListenerError: (error, event) =>
        this.log.error({ err: error, event: event.payload.type }, 'event listener failed'),
    })
    const backend: StoresBackend =
      options.backend ?? new SqliteBackend(new Storage(join(options.dataDir, 'opencode-kernel.db')))
    this.backend = backend
    this.storage = backend.storage
    const beforeBoot = backend.beforeBoot?.bind(backend)
    this.instances = new InstanceManager({
      capacity: options.instanceCapacity,
      ...(beforeBoot ? { beforeBoot } : {}),
      onBoot: (instance) => {
        for (const hook of this.bootHooks) this.runBootHook(hook, instance)
      },
      onDispose: (instance) => this.disposeInstance(instance),
      onOverCapacity: (size, pinned) =>
        this.log.warn(
          { capacity: options.instanceCapacity, size, pinned },
          'instance cache over capacity: busy instances stay until idle',
        ),
    })
    backend.attach(this)
  }

  get clustered(): boolean {
    return this.backend.shared
  }

  node(): NodeInfo {
    return this.backend.node(this.url, this.instances)
  }

  publish<E extends EventDefinition>(target: Instance | 'global', event: E, properties: EventProperties<E>): BusEvent {
    return this.bus.publish(target, event, properties)
  }

  loadedConfig(instance: Instance): LoadedConfig {
    // Outside a repository OpenCode searches config up to the filesystem root.
    const worktree = instance.project.vcs === 'git' ? instance.worktree : undefined
    return instance.state(CONFIG_STATE, () => loadConfig(instance.directory, worktree, this.env))
  }

  config(instance: Instance): ConfigObject {
    return this.loadedConfig(instance).config
  }

  invalidateConfig(instance: Instance): void {
    void instance.resetState(CONFIG_STATE)
  }

  onInstanceBoot(hook: (instance: Instance) => void): void {
    this.bootHooks.push(hook)
    void this.instances.list().then((running) => {
      for (const instance of running) if (!instance.isDisposed) this.runBootHook(hook, instance)
    })
  }

  /**
   * Clears what plugins contributed (tools, extensions, boot hooks) before they register again
   * (dev mode); the returned function puts it all back if the new registration fails.
   */
  resetContributions(): () => void {
    const restoreTools = this.tools.snapshot()
    const restoreExtensions = this.extensions.snapshot()
    const hooks = this.bootHooks
    this.tools.clear()
    this.extensions.clear()
    this.bootHooks = []
    return () => {
      restoreTools()
      restoreExtensions()
      this.bootHooks = hooks
    }
  }

  keep<T>(key: string, init: () => T): T {
    if (!this.kept.has(key)) this.kept.set(key, init())
    return this.kept.get(key) as T
  }

  pluginEntry(file: string): PluginEntry | undefined {
    return findPluginEntry(this.pluginEntries, file)
  }

  plugins(): readonly KernelPluginInfo[] {
    return this.describePlugins()
  }

  /** Disposes every instance and announces it on the global stream. */
  async disposeAll(): Promise<void> {
    await this.instances.disposeAll()
    this.bus.publish('global', GlobalDisposed, {})
  }

  /** Disposes instances and closes storage; the runtime is unusable afterwards. */
  async close(): Promise<void> {
    await this.instances.disposeAll()
    // Whatever a plugin started and did not end (or started outside any instance).
    await this.processes.stop()
    await this.backend.close()
  }

  private runBootHook(hook: (instance: Instance) => void, instance: Instance): void {
    try {
      hook(instance)
    } catch (error) {
      this.log.error({ err: error, directory: instance.directory }, 'instance boot hook failed')
    }
  }

  private async disposeInstance(instance: Instance): Promise<void> {
    await instance.dispose((error, key) =>
      this.log.error({ err: error, state: key, directory: instance.directory }, 'instance state disposer failed'),
    )
    const stopped = await this.processes.stop(instance)
    if (stopped)
      this.log.warn({ directory: instance.directory, stopped }, 'ended child processes the instance left running')
    // `/event` streams of this directory end right after this frame.
    this.bus.publish(instance, ServerInstanceDisposed, { directory: instance.directory })
  }
}
