import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { randomBytes } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { createServer as createHttpServer, type RequestListener } from 'node:http'
import { register } from 'node:module'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import pino from 'pino'
import { buildApp } from './app.js'
import { loadConfig } from '../instances/config.js'
import { findGitRoot } from '../instances/instance.js'
import { defaultDataDir, KernelRuntime } from '../core/kernel-runtime.js'
import {
  discoverBuiltinPlugins,
  loadThirdPartyPlugins,
  orderPlugins,
  type LoadedPlugin,
} from '../core/plugin-loader.js'
import { AuthThrottle, type AuthThrottleOptions } from './auth-throttle.js'
import { isLoopbackHostname, type SecurityOptions } from './security.js'
import { ServerReloaded } from '../events/kernel-events.js'
import { EventStreams } from '../events/event-streams.js'
import { openBackend } from '../storage/open-backend.js'
import type { BackendOptions } from '../storage/stores-backend.js'
import { KERNEL_VERSION, PACKAGE_ROOT } from '../core/version.js'

/** How the server runs; where the stores live is `BackendOptions`. */
export interface ServerOptions extends BackendOptions {
  port?: number
  hostname?: string
  /** Default: `OPENCODE_SERVER_PASSWORD`. */
  password?: string
  /** Default: `OPENCODE_SERVER_USERNAME`, else `opencode`. */
  username?: string
  cors?: readonly string[]
  insecure?: boolean
  /** The directory used when a request names none; default `process.cwd()`. */
  cwd?: string
  /** Default: `OPENCODE_KERNEL_DATA`, else `$XDG_DATA_HOME/opencode-kernel`. */
  dataDir?: string
  env?: NodeJS.ProcessEnv
  logLevel?: string
  /** Folders holding built-in plugins (`<dir>/<name>/index.js`); default this package's `plugins/`. */
  pluginDirs?: readonly string[]
  /** Built-in plugins already loaded (the bundled build); skips discovery in `pluginDirs`. */
  builtins?: readonly LoadedPlugin[]
  /** Load only these built-in plugins (by folder name); tests use it. */
  only?: readonly string[]
  /** Third-party plugins besides those named in config `plugin`. */
  plugins?: readonly string[]
  instanceCapacity?: number
  /** Tuning of failed-authentication throttling (tests shorten it). */
  authThrottle?: Partial<AuthThrottleOptions>
  replayCapacity?: number
  heartbeatMs?: number
  /** Bytes a slow SSE client may fall behind before it is dropped. */
  sseMaxQueuedBytes?: number
  bodyLimit?: number
  /** Compile route schemas on first use instead of at start (the CLI does; tests do not). */
  lazyCompile?: boolean
  /**
   * Dev mode: watch the plugin folders and, when a file changes, load the plugins afresh and swap
   * them in on the same listener; SSE streams, WebSockets, terminals and running prompts go on.
   */
  dev?: boolean
}

export interface RunningServer {
  /** The current app (dev mode replaces it on each reload). */
  readonly app: FastifyInstance
  kernel: KernelRuntime
  streams: EventStreams
  /** Third-party plugins left out, with why. */
  skipped: { plugin: string; error: Error }[]
  /** Starts listening; resolves with the URL. */
  listen(): Promise<string>
  /** Ends SSE streams, closes the listener, disposes instances (children killed), closes storage. */
  close(): Promise<void>
}

/** Refuses configurations that would expose an unauthenticated server to the network. */
export function checkExposure(hostname: string, password: string | undefined, insecure: boolean): void {
  if (!password && !insecure && !isLoopbackHostname(hostname)) {
    throw new Error(
      `refusing to listen on ${hostname} without a password: set OPENCODE_SERVER_PASSWORD, or pass --insecure to accept the risk`,
    )
  }
}

/** Builds the kernel and the app with every plugin; checks everything before anything listens. */
export async function createServer(options: ServerOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env
  const hostname = options.hostname ?? '127.0.0.1'
  const port = options.port ?? 4096
  const password = options.password ?? (env.OPENCODE_SERVER_PASSWORD || undefined)
  const insecure = options.insecure ?? false
  checkExposure(hostname, password, insecure)
  const security: SecurityOptions = {
    password,
    internalToken: password ? randomBytes(32).toString('base64url') : undefined,
    username: options.username ?? (env.OPENCODE_SERVER_USERNAME || 'opencode'),
    hostname,
    cors: options.cors ?? [],
    insecure,
  }
  const log = pino({ level: options.logLevel ?? env.LOG_LEVEL ?? 'info' })
  if (password) security.throttle = new AuthThrottle(log, options.authThrottle)
  const cwd = options.cwd ?? process.cwd()

  const pluginDirs = options.pluginDirs ?? [join(PACKAGE_ROOT, 'dist', 'plugins')]
  const gitRoot = await findGitRoot(cwd)
  const worktree = gitRoot ?? cwd
  /** Every plugin, in registration order; `version` (dev mode) imports them afresh. */
  const loadPlugins = async (version?: number) => {
    const builtins =
      options.builtins && !options.dev
        ? [...options.builtins]
        : await discoverBuiltinPlugins(pluginDirs, options.only, version)
    let configured: string[] = []
    try {
      const plugin = loadConfig(cwd, gitRoot, env).config.plugin
      if (Array.isArray(plugin)) configured = plugin.filter((entry): entry is string => typeof entry === 'string')
    } catch (error) {
      log.error({ err: error }, 'config could not be read; no third-party plugins loaded')
    }
    const thirdParty = await loadThirdPartyPlugins([...configured, ...(options.plugins ?? [])], worktree, version)
    const { ordered, failures } = orderPlugins([...builtins, ...thirdParty.plugins], KERNEL_VERSION)
    for (const { plugin } of thirdParty.failures.filter((failure) => failure.foreign))
      log.debug({ plugin }, `"${plugin}" is not a kernel plugin; left to the opencode-plugins plugin`)
    const skipped = [...thirdParty.failures.filter((failure) => !failure.foreign), ...failures].map(
      ({ plugin, error }) => ({ plugin, error }),
    )
    for (const { plugin, error } of skipped)
      log.error({ plugin, err: error }, `third-party plugin "${plugin}" skipped: ${error.message}`)
    return { ordered, skipped, thirdParty: [...configured, ...(options.plugins ?? [])] }
  }
  const { ordered, skipped, thirdParty } = await loadPlugins(options.dev ? 0 : undefined)

  const dataDir = options.dataDir ?? defaultDataDir(env)
  const backend = await openBackend(options, { env, dataDir, log, replayCapacity: options.replayCapacity })
  const kernel = new KernelRuntime({
    backend,
    dataDir,
    log,
    // What plugins (and the commands, terminals and servers they start) see: never the password.
    env: withoutServerSecrets(env),
    instanceCapacity: options.instanceCapacity ?? 32,
    replayCapacity: options.replayCapacity ?? 4096,
    internalToken: security.internalToken,
    dev: options.dev ?? false,
  })
  const streams = new EventStreams(backend.feed ?? kernel.bus, {
    heartbeatMs: options.heartbeatMs ?? 10_000,
    maxQueuedBytes: options.sseMaxQueuedBytes ?? 4 * 1024 * 1024,
  })

  // Dev mode owns the listener and hands each request to the current app.
  let keepConnections = false
  let handler: RequestListener | undefined
  let built: RequestListener | undefined
  const http = options.dev ? createHttpServer((request, response) => handler!(request, response)) : undefined
  const appOptions = {
    security,
    cwd,
    bodyLimit: options.bodyLimit ?? 32 * 1024 * 1024,
    streams,
    lazyCompile: options.lazyCompile,
    keepConnections: () => keepConnections,
    onPluginFailure: (plugin: LoadedPlugin, error: Error) => {
      skipped.push({ plugin: plugin.definition.name, error })
      log.error(
        { plugin: plugin.definition.name, err: error },
        `third-party plugin "${plugin.definition.name}" failed to register`,
      )
    },
    ...(http
      ? {
          serverFactory: (listener: RequestListener) => {
            built = listener
            return http
          },
        }
      : {}),
  }
  let app: FastifyInstance
  try {
    app = await buildApp(kernel, ordered, appOptions)
    await app.ready()
    await backend.ready()
  } catch (error) {
    await kernel.close()
    throw error
  }
  handler = built
  streams.start()

  let generation = 0
  /** Loads the plugins afresh and swaps them in; on any failure the old app keeps serving. */
  const reload = async () => {
    const version = ++generation
    const upgrades = http!.listeners('upgrade')
    let next: FastifyInstance | undefined
    const restore = kernel.resetContributions()
    kernel.reloading = true
    try {
      const fresh = await loadPlugins(version)
      next = await buildApp(kernel, fresh.ordered, appOptions)
      await next.ready()
    } catch (error) {
      restore()
      keepConnections = true
      await next?.close().catch(() => {})
      keepConnections = false
      for (const listener of http!.listeners('upgrade'))
        if (!upgrades.includes(listener)) http!.removeListener('upgrade', listener as never)
      log.error({ err: error }, 'reloading the plugins failed; the previous ones keep serving')
      kernel.publish('global', ServerReloaded, { generation: version, ok: false, error: (error as Error).message })
      return
    } finally {
      kernel.reloading = false
    }
    handler = built
    const previous = app
    app = next
    keepConnections = true
    await previous.close().catch((error: unknown) => log.warn({ err: error }, 'closing the previous app failed'))
    keepConnections = false
    for (const listener of upgrades) http!.removeListener('upgrade', listener as never)
    log.info({ generation: version }, 'plugins reloaded')
    kernel.publish('global', ServerReloaded, { generation: version, ok: true })
  }
  const watcher = options.dev
    ? await watchPlugins([...pluginDirs, ...thirdPartyDirs(thirdParty, worktree)], reload, log)
    : undefined

  let closing: Promise<void> | undefined
  return {
    get app() {
      return app
    },
    kernel,
    streams,
    skipped,
    async listen() {
      if (http)
        await new Promise<void>((resolve, reject) => http.once('error', reject).listen(port, hostname, () => resolve()))
      else await app.listen({ port, host: hostname })
      const address = app.server.address()
      const actualPort = typeof address === 'object' && address ? address.port : port
      const host = hostname.includes(':') ? `[${hostname}]` : hostname
      const url = `http://${host}:${actualPort}`
      kernel.url = url
      backend.start(url)
      return url
    },
    close() {
      closing ??= (async () => {
        await watcher?.close()
        // SSE responses never finish on their own; end them first so the listener can close.
        streams.endAll()
        await app.close()
        if (http) {
          http.closeAllConnections()
          await new Promise((resolve) => http.close(resolve))
        }
        await kernel.close()
      })()
      return closing
    },
  }
}

/** Folders of third-party plugins given as paths (packages are not watched). */
function thirdPartyDirs(specifiers: readonly string[], root: string): string[] {
  return specifiers
    .filter((s) => s.startsWith('.') || isAbsolute(s) || s.startsWith('file://'))
    .map((s) => {
      const path = s.startsWith('file://') ? new URL(s).pathname : resolve(root, s)
      return existsSync(path) && statSync(path).isDirectory() ? path : dirname(path)
    })
}

/** The environment without the server's own credentials. */
export function withoutServerSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { OPENCODE_SERVER_PASSWORD: _password, ...rest } = env
  return rest
}

let devLoaderRegistered = false

/** Reloads (debounced, one at a time) whenever a file under `dirs` changes. */
async function watchPlugins(
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
