import type { OpencodeHostKernel } from './index.js'
import type { FastifyInstance } from 'fastify'
import { watch, type FSWatcher } from 'node:fs'
import { join } from 'node:path'
import { type BusEvent, type Instance, type ToolDefinition } from '../../sdk/index.js'
import { ProviderOAuth } from '../../sdk/provider.js'
import { authHooks, oauthMethod } from './auth.js'
import { bounded } from './bounded.js'
import { configDirectories } from './discovery.js'
import { instanceOrigins, loadOrigin } from './load-plugins.js'
import { pluginInput } from './plugin-input.js'
import { killChildren } from './shell.js'
import type { InstancePlugins, PluginRecord } from './types.js'

type HookFn = (input: unknown, output: unknown) => unknown

// Hooks whose throw is the operation's answer (a refused tool call); others are logged and skipped.
const PROPAGATING = new Set(['tool.execute.before', 'tool.execute.after', 'command.execute.before', 'permission.ask'])
const STATE = 'opencode-plugins'
const DEFAULT_TIMEOUT_MS = 30_000

/** Hosts OpenCode plugins per instance: loads them when the instance boots and runs their hooks. */
export class OpencodePluginHost {
  readonly timeoutMs: number

  constructor(
    private readonly app: FastifyInstance,
    private readonly kernel: OpencodeHostKernel,
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

  /** Whether a loaded plugin has hook `name`. */
  async handles(instance: Instance, name: string): Promise<boolean> {
    return (await this.ready(instance)).loaded.some((plugin) => typeof plugin.hooks[name] === 'function')
  }

  /** OpenCode's `trigger`: each plugin's hook in load order, awaited, on the same `output`. */
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

  private async load(instance: Instance, state: InstancePlugins): Promise<void> {
    const origins = instanceOrigins(this.kernel, instance, state.records)
    if (!origins.length) return
    const input = await pluginInput(this.app, this.kernel, instance, state.children)
    const context = { kernel: this.kernel, instance, state, timeoutMs: this.timeoutMs, input }
    for (const origin of origins) {
      if (instance.isDisposed) return
      const record = await loadOrigin(context, origin)
      if (record) state.records.push(record)
    }
    if (instance.isDisposed) return
    await this.runConfigHook(instance, state)
    if (state.loaded.some((plugin) => typeof plugin.hooks.event === 'function')) {
      state.unsubscribe = this.kernel.bus.subscribe((event: BusEvent) => this.onEvent(state, event), instance.directory)
    }
  }

  /** `config` once, after every plugin initialised, on the live config (later readers see its edits). */
  private async runConfigHook(instance: Instance, state: InstancePlugins): Promise<void> {
    try {
      if (!state.loaded.some((plugin) => typeof plugin.hooks.config === 'function')) return
      // Edits go to a copy that then replaces the config: readers that cache by identity see them.
      const loaded = this.kernel.loadedConfig(instance)
      const draft = structuredClone(loaded.config)
      await this.runHooks(state, 'config', draft, draft)
      loaded.config = draft
    } catch (error) {
      this.kernel.log.warn({ err: error }, 'OpenCode plugin config hook failed')
    }
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
