import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { existsSync, statSync } from 'node:fs'
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http'
import { register } from 'node:module'
import { dirname, isAbsolute, resolve } from 'node:path'
import type { KernelRuntime } from '../core/kernel-runtime.js'
import { ServerReloaded } from '../events/kernel-events.js'

type UpgradeListener = (...args: unknown[]) => void

/**
 * Dev mode's listener (as fastify/restartable does it): one HTTP server that hands each request
 * to the current app. A reload builds the next app on the same server and swaps the handler, so
 * SSE streams, WebSockets, terminals and running prompts go on.
 */
export class SwappableListener {
  readonly server: Server
  /** True while a replaced app closes: its WebSocket connections stay open (terminals stay attached). */
  keepConnections = false
  private handler?: RequestListener
  private built?: RequestListener

  constructor() {
    this.server = createHttpServer((request, response) => this.handler!(request, response))
  }

  /** Fastify's `serverFactory`: every app is created on this one server. */
  readonly serverFactory = (listener: RequestListener): Server => {
    this.built = listener
    return this.server
  }

  /** Requests go to the app built last from now on. */
  activate(): void {
    this.handler = this.built
  }

  /** The upgrade (WebSocket) listeners the apps built so far added. */
  upgradeListeners(): UpgradeListener[] {
    return this.server.listeners('upgrade') as UpgradeListener[]
  }

  /** Closes an app that no longer serves, leaving its WebSocket connections open. */
  async retire(app: FastifyInstance): Promise<void> {
    this.keepConnections = true
    try {
      await app.close()
    } finally {
      this.keepConnections = false
    }
  }

  removeUpgradeListeners(listeners: readonly UpgradeListener[]): void {
    for (const listener of listeners) this.server.removeListener('upgrade', listener)
  }
}

export interface DevReloadOptions {
  kernel: KernelRuntime
  listener: SwappableListener
  log: FastifyBaseLogger
  /** Loads the plugins afresh (`version` re-imports their modules) and builds an app on them. */
  build: (version: number) => Promise<FastifyInstance>
  /** Puts `next` in place of the app serving now; returns the one it replaced. */
  swap: (next: FastifyInstance) => FastifyInstance
}

/** Loads the plugins afresh and swaps them in; on any failure the old app keeps serving. */
export class DevReloader {
  private generation = 0

  constructor(private readonly options: DevReloadOptions) {}

  async reload(): Promise<void> {
    const { kernel, listener } = this.options
    const version = ++this.generation
    const upgrades = listener.upgradeListeners()
    let next: FastifyInstance | undefined
    const restore = kernel.resetContributions()
    kernel.reloading = true
    try {
      next = await this.options.build(version)
      await next.ready()
    } catch (error) {
      restore()
      if (next) await listener.retire(next).catch(() => {})
      listener.removeUpgradeListeners(listener.upgradeListeners().filter((added) => !upgrades.includes(added)))
      this.options.log.error({ err: error }, 'reloading the plugins failed; the previous ones keep serving')
      kernel.publish('global', ServerReloaded, { generation: version, ok: false, error: (error as Error).message })
      return
    } finally {
      kernel.reloading = false
    }
    await this.swapIn(next, upgrades, version)
  }

  private async swapIn(next: FastifyInstance, upgrades: UpgradeListener[], version: number): Promise<void> {
    const { kernel, listener, log } = this.options
    listener.activate()
    const previous = this.options.swap(next)
    await listener
      .retire(previous)
      .catch((error: unknown) => log.warn({ err: error }, 'closing the previous app failed'))
    listener.removeUpgradeListeners(upgrades)
    log.info({ generation: version }, 'plugins reloaded')
    kernel.publish('global', ServerReloaded, { generation: version, ok: true })
  }
}

/** Folders of third-party plugins given as paths (packages are not watched). */
export function thirdPartyDirs(specifiers: readonly string[], root: string): string[] {
  return specifiers
    .filter((s) => s.startsWith('.') || isAbsolute(s) || s.startsWith('file://'))
    .map((s) => {
      const path = s.startsWith('file://') ? new URL(s).pathname : resolve(root, s)
      return existsSync(path) && statSync(path).isDirectory() ? path : dirname(path)
    })
}

let devLoaderRegistered = false

/** Reloads (debounced, one at a time) whenever a file under `dirs` changes. */
export async function watchPlugins(
  dirs: readonly string[],
  reload: () => Promise<void>,
  log: FastifyBaseLogger,
): Promise<{ close(): Promise<void> }> {
  // Dev mode needs the resolution hook that evaluates edited plugins afresh (once per process).
  if (!devLoaderRegistered) register(new URL('../core/dev-module-loader.js', import.meta.url))
  devLoaderRegistered = true
  const { watch } = await import('chokidar')
  const watcher = watch([...dirs], {
    ignoreInitial: true,
    ignored: (path) => /(^|[/\\])(node_modules|\.git)([/\\]|$)/.test(path),
  })
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()
  watcher.on('all', () => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      running = running.then(reload).catch((error: unknown) => log.error({ err: error }, 'reload failed'))
    }, 150)
  })
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()))
  log.info({ dirs }, 'dev mode: watching plugins')
  return {
    async close() {
      clearTimeout(timer)
      await watcher.close()
      await running
    },
  }
}
