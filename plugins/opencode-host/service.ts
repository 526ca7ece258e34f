import type { FastifyInstance } from 'fastify'
import { watch, type FSWatcher } from 'node:fs'
import { join } from 'node:path'
import { type BusEvent, type ConfigSource, type Instance, type Kernel, type ToolDefinition } from '../../sdk/index.js'
import { ProviderOAuth } from '../../sdk/provider.js'
import { authHooks, oauthMethod } from './auth.js'
import { createClient } from './client.js'
import {
  configDirectories,
  discoverPlugins,
  findPackage,
  packageEntry,
  pathEntry,
  type PluginOrigin,
} from './discovery.js'
import { importPlugin, moduleShape, packageVersion } from './module-loader.js'
import { createShell, killChildren, type ChildSet } from './shell.js'
import { pluginTool, type PluginToolDef } from './tools.js'

type HookFn = (input: unknown, output: unknown) => unknown
export type Hooks = Record<string, unknown>

/** One OpenCode plugin of an instance, as `GET /plugin` shows it. */
export interface PluginRecord {
  name: string
  source: 'npm' | 'file'
  spec: string
  /** The config file or folder that named it. */
  origin: string
  entry?: string
  version?: string
  status: 'loaded' | 'failed'
  hooks: string[]
  tools: string[]
  error?: string
}

interface InstancePlugins {
  ready: Promise<void>
  loaded: { name: string; hooks: Hooks }[]
  records: PluginRecord[]
  tools: Map<string, ToolDefinition>
  children: ChildSet
  unsubscribe?: () => void
}

// Hooks whose throw is the operation's answer (a refused tool call); others are logged and skipped.
const PROPAGATING = new Set(['tool.execute.before', 'tool.execute.after', 'command.execute.before', 'permission.ask'])
const STATE = 'opencode-plugins'
const DEFAULT_TIMEOUT_MS = 30_000

class HookTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`)
    this.name = 'PluginTimeoutError'
  }
}

/** Settles with `work`, or rejects after `ms` (the work is left running, its result ignored). */
function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HookTimeoutError(what, ms)), ms)
    timer.unref()
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** Hosts OpenCode plugins per instance: loads them when the instance boots and runs their hooks. */
export class OpencodePlugins {
  readonly timeoutMs: number

  constructor(
    private readonly app: FastifyInstance,
    private readonly kernel: Kernel,
  ) {
    const configured = Number(kernel.env.OPENCODE_PLUGIN_TIMEOUT_MS)
    this.timeoutMs = Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_TIMEOUT_MS
  }

  state(instance: Instance): InstancePlugins {
    return instance.state<InstancePlugins>(
      STATE,
      (instance) => {
        const state: InstancePlugins = {
          ready: Promise.resolve(),
          loaded: [],
          records: [],
          tools: new Map(),
          children: new Set(),
        }
        state.ready = this.load(instance, state).catch((error) =>
          this.kernel.log.error({ err: error, directory: instance.directory }, 'OpenCode plugins could not be loaded'),
        )
        return state
      },
      async (state) => {
        state.unsubscribe?.()
        killChildren(state.children)
        for (const plugin of state.loaded) {
          const dispose = plugin.hooks.dispose
          if (typeof dispose === 'function')
            await bounded(
              Promise.resolve().then(() => dispose()),
              this.timeoutMs,
              `${plugin.name} dispose`,
            ).catch(() => {})
        }
      },
    )
  }

  /**
   * Dev mode: edits in the instance's plugin folders (and local plugin files) load its plugins
   * afresh, debounced; the watchers live in their own state so a reload keeps them.
   */
  watch(instance: Instance): void {
    if (!this.kernel.dev) return
    instance.state(
      `${STATE}.watch`,
      (instance) => {
        const dirs = new Set(
          configDirectories(this.kernel.paths.config, instance.worktree, instance.directory, this.kernel.env).flatMap(
            (dir) => [join(dir, 'plugin'), join(dir, 'plugins')],
          ),
        )
        let timer: NodeJS.Timeout | undefined
        const reload = () => {
          clearTimeout(timer)
          timer = setTimeout(() => {
            if (instance.isDisposed) return
            void instance.resetState(STATE).then(() => {
              if (instance.isDisposed) return
              this.kernel.log.info({ directory: instance.directory }, 'OpenCode plugins reloaded')
              return this.offerLogins(instance)
            })
          }, 150)
        }
        const watchers: FSWatcher[] = []
        for (const dir of dirs) {
          try {
            watchers.push(watch(dir, { recursive: true }, reload))
          } catch {
            // No such folder.
          }
        }
        return { watchers, stop: () => clearTimeout(timer) }
      },
      (entry) => {
        entry.stop()
        for (const watcher of entry.watchers) watcher.close()
      },
    )
  }

  /** Waits (bounded) until the instance's plugins are loaded. */
  async ready(instance: Instance): Promise<InstancePlugins> {
    const state = this.state(instance)
    await bounded(state.ready, this.timeoutMs * 2, 'loading OpenCode plugins').catch(() => {})
    return state
  }

  /** OAuth methods of `auth` hooks offered through `ProviderOAuth` (once per provider and label). */
  private readonly offered = new Set<string>()

  /** Offers the instance's plugin OAuth logins to the provider plugin (after loading). */
  async offerLogins(instance: Instance): Promise<void> {
    const state = await this.ready(instance)
    for (const [providerID, auth] of authHooks(state.loaded)) {
      for (const method of auth.methods ?? []) {
        if (method.type !== 'oauth' || typeof method.label !== 'string') continue
        const key = `${providerID}\0${method.label}`
        if (this.offered.has(key)) continue
        this.offered.add(key)
        const label = method.label
        this.kernel.extensions.provide(
          ProviderOAuth,
          'opencode-plugins',
          oauthMethod(providerID, label, async (asking) =>
            authHooks((await this.ready(asking)).loaded)
              .get(providerID)
              ?.methods?.find((m) => m.type === 'oauth' && m.label === label),
          ),
        )
      }
    }
  }

  /** `auth.loader` of the instance's plugin for `providerID`: SDK options (a `fetch` of its own ...). */
  async authOptions(
    instance: Instance,
    providerID: string,
    credentials: () => Promise<unknown>,
    provider: unknown,
  ): Promise<Record<string, unknown> | undefined> {
    const auth = authHooks((await this.ready(instance)).loaded).get(providerID)
    if (typeof auth?.loader !== 'function') return undefined
    const options = await bounded(
      Promise.resolve().then(() => auth.loader!(credentials, provider)),
      this.timeoutMs,
      `auth loader for ${providerID}`,
    )
    return options && typeof options === 'object' ? options : undefined
  }

  async records(instance: Instance): Promise<PluginRecord[]> {
    return (await this.ready(instance)).records
  }

  async tools(instance: Instance): Promise<ToolDefinition[]> {
    return [...(await this.ready(instance)).tools.values()]
  }

  /** OpenCode's `trigger`: each plugin's hook in load order, awaited, on the same `output`. */
  /** Whether a loaded plugin has hook `name`. */
  async handles(instance: Instance, name: string): Promise<boolean> {
    return (await this.ready(instance)).loaded.some((plugin) => typeof plugin.hooks[name] === 'function')
  }

  async trigger(
    instance: Instance,
    name: string,
    input: Record<string, unknown>,
    output: Record<string, unknown>,
  ): Promise<void> {
    await this.runHooks(await this.ready(instance), name, input, output)
  }

  private async runHooks(
    state: InstancePlugins,
    name: string,
    input: Record<string, unknown>,
    output: Record<string, unknown>,
  ): Promise<void> {
    for (const plugin of state.loaded) {
      const hook = plugin.hooks[name]
      if (typeof hook !== 'function') continue
      try {
        await bounded(
          Promise.resolve().then(() => (hook as HookFn)(input, output)),
          this.timeoutMs,
          `hook ${name} of plugin ${plugin.name}`,
        )
      } catch (error) {
        if (PROPAGATING.has(name)) throw error
        this.kernel.log.warn({ err: error, plugin: plugin.name, hook: name }, `OpenCode plugin hook ${name} failed`)
      }
    }
  }

  private serverUrl(): URL {
    const address = this.app.server?.address?.()
    if (address && typeof address === 'object')
      return new URL(`http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`)
    return new URL('http://localhost:4096')
  }

  private async input(instance: Instance, state: InstancePlugins): Promise<Record<string, unknown>> {
    const app = this.app
    const authorization = this.kernel.internalAuthorization
    const client = await createClient(
      () => app,
      instance.directory,
      () => this.serverUrl(),
      (): Record<string, string> => (authorization ? { authorization } : {}),
    )
    const $ = createShell({ cwd: instance.directory, env: { ...this.kernel.env }, throws: true }, state.children)
    const self = this
    return {
      client,
      project: {
        id: instance.project.id,
        worktree: instance.project.worktree,
        vcs: instance.project.vcs,
        time: { created: Date.now() },
        sandboxes: [],
      },
      directory: instance.directory,
      worktree: instance.worktree,
      get serverUrl() {
        return self.serverUrl()
      },
      $,
      experimental_workspace: {
        register: (type: string) =>
          this.kernel.log.warn(
            { type, directory: instance.directory },
            'experimental_workspace.register: this server has no workspace adapters; ignored',
          ),
      },
    }
  }

  private resolve(origin: PluginOrigin, instance: Instance): { entry: string; name: string; version?: string } {
    if (origin.kind === 'file') {
      const entry = pathEntry(origin.target)
      return { entry, name: origin.target }
    }
    const dir = findPackage(
      origin.target,
      origin.spec,
      instance.directory,
      this.kernel.paths.config,
      this.kernel.env,
      this.kernel.paths.home,
    )
    if (!dir) {
      throw new Error(
        `package ${origin.target} is not installed; install it with \`npm install ${origin.spec}\` in ${instance.worktree} (or in ${this.kernel.paths.config})`,
      )
    }
    return { entry: packageEntry(dir), name: origin.target, version: packageVersion(dir) }
  }

  private async load(instance: Instance, state: InstancePlugins): Promise<void> {
    let sources: ConfigSource[]
    try {
      sources = this.kernel.loadedConfig(instance).sources
    } catch (error) {
      state.records.push({
        name: 'config',
        source: 'file',
        spec: '',
        origin: '',
        status: 'failed',
        hooks: [],
        tools: [],
        error: message(error),
      })
      sources = []
    }
    const dirs = configDirectories(this.kernel.paths.config, instance.worktree, instance.directory, this.kernel.env)
    const { origins, errors } = discoverPlugins(sources, dirs)
    for (const error of errors)
      state.records.push({
        name: error.spec,
        source: 'file',
        spec: error.spec,
        origin: error.origin,
        status: 'failed',
        hooks: [],
        tools: [],
        error: error.error,
      })
    if (!origins.length) return
    const input = await this.input(instance, state)
    const outDir = join(this.kernel.paths.data, 'opencode-plugins')
    for (const origin of origins) {
      if (instance.isDisposed) return
      const record = await this.loadOrigin(instance, state, origin, { input, outDir })
      if (record) state.records.push(record)
    }
    if (instance.isDisposed) return
    // `config` once, after every plugin initialised, on the live config (later readers see its edits).
    try {
      if (state.loaded.some((plugin) => typeof plugin.hooks.config === 'function')) {
        // Edits go to a copy that then replaces the config: readers that cache by identity see them.
        const loaded = this.kernel.loadedConfig(instance)
        const draft = structuredClone(loaded.config)
        await this.runHooks(state, 'config', draft, draft)
        loaded.config = draft
      }
    } catch (error) {
      this.kernel.log.warn({ err: error }, 'OpenCode plugin config hook failed')
    }
    if (state.loaded.some((plugin) => typeof plugin.hooks.event === 'function')) {
      state.unsubscribe = this.kernel.bus.subscribe((event: BusEvent) => this.onEvent(state, event), instance.directory)
    }
  }

  /** Loads one plugin into `state`; undefined for a kernel plugin (the kernel loaded it). */
  private async loadOrigin(
    instance: Instance,
    state: InstancePlugins,
    origin: PluginOrigin,
    { input, outDir }: { input: Record<string, unknown>; outDir: string },
  ): Promise<PluginRecord | undefined> {
    const record: PluginRecord = {
      name: origin.target,
      source: origin.kind === 'package' ? 'npm' : 'file',
      spec: origin.spec,
      origin: origin.origin,
      status: 'failed',
      hooks: [],
      tools: [],
    }
    try {
      const resolved = this.resolve(origin, instance)
      // Config `plugin` of the server's directory is read by the kernel at start (kernel plugins are
      // process-wide); instance configs are read here. A file the kernel imported is not imported again.
      const known = this.kernel.pluginEntry(resolved.entry)
      if (known?.kind === 'kernel') return undefined
      record.entry = resolved.entry
      if (resolved.version) record.version = resolved.version
      const module =
        known?.module ??
        (await bounded(importPlugin(resolved.entry, outDir), this.timeoutMs, `importing ${origin.spec}`))
      const shape = moduleShape(module, origin.spec)
      if (shape.id) record.name = shape.id
      for (const plugin of shape.plugins) {
        const hooks = (await bounded(
          Promise.resolve().then(() => plugin(input, origin.options)),
          this.timeoutMs,
          `initialising ${origin.spec}`,
        )) as Hooks | undefined
        if (!hooks || typeof hooks !== 'object') continue
        state.loaded.push({ name: record.name, hooks })
        for (const key of Object.keys(hooks)) if (!record.hooks.includes(key)) record.hooks.push(key)
        const tools = hooks.tool
        if (tools && typeof tools === 'object') {
          for (const [id, def] of Object.entries(tools as Record<string, PluginToolDef>)) {
            if (!def || typeof def.execute !== 'function') continue
            state.tools.set(id, await pluginTool(id, def))
            record.tools.push(id)
          }
        }
      }
      record.status = 'loaded'
    } catch (error) {
      record.error = message(error)
      this.kernel.log.error(
        { err: error, plugin: origin.spec, directory: instance.directory },
        `Failed to load plugin ${origin.spec}: ${record.error}`,
      )
    }
    return record
  }

  /** `event`: every bus event of the instance, fire-and-forget. */
  private onEvent(state: InstancePlugins, event: BusEvent): void {
    for (const plugin of state.loaded) {
      const hook = plugin.hooks.event
      if (typeof hook !== 'function') continue
      void bounded(
        Promise.resolve().then(() => (hook as (input: unknown) => unknown)({ event: event.payload })),
        this.timeoutMs,
        `event hook of ${plugin.name}`,
      ).catch((error) => this.kernel.log.warn({ err: error, plugin: plugin.name }, 'OpenCode plugin event hook failed'))
    }
  }
}
