import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import pino from 'pino'
import { defaultDataDir, KernelRuntime } from '../core/kernel-runtime.js'
import type { LoadedPlugin } from '../core/plugin-loader.js'
import { describePlugins, loadPlugins, type PluginSet, type PluginSetOptions } from '../core/plugin-set.js'
import { PACKAGE_ROOT } from '../core/version.js'
import { EventStreams } from '../events/event-streams.js'
import { findGitRoot } from '../instances/instance.js'
import { openBackend } from '../storage/open-backend.js'
import type { BackendOptions } from '../storage/stores-backend.js'
import { buildApp, type AppOptions } from './app.js'
import { AuthThrottle, type AuthThrottleOptions } from './auth-throttle.js'
import { DevReloader, SwappableListener, thirdPartyDirs, watchPlugins } from './dev-reload.js'
import { Pairing } from './pairing.js'
import { isLoopbackHostname, type SecurityOptions } from './security.js'

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

/** The security settings of `options`; refuses an unauthenticated server exposed to the network. */
function securityOptions(options: ServerOptions, env: NodeJS.ProcessEnv): SecurityOptions {
  const hostname = options.hostname ?? '127.0.0.1'
  const password = options.password ?? (env.OPENCODE_SERVER_PASSWORD || undefined)
  const insecure = options.insecure ?? false
  checkExposure(hostname, password, insecure)
  return {
    password,
    internalToken: password ? randomBytes(32).toString('base64url') : undefined,
    username: options.username ?? (env.OPENCODE_SERVER_USERNAME || 'opencode'),
    hostname,
    cors: options.cors ?? [],
    insecure,
    pairing: new Pairing(password),
  }
}

/** The kernel on its stores (SQLite, or PostgreSQL shared with other servers). */
async function openKernel(
  options: ServerOptions,
  env: NodeJS.ProcessEnv,
  log: FastifyBaseLogger,
  internalToken: string | undefined,
): Promise<KernelRuntime> {
  const dataDir = options.dataDir ?? defaultDataDir(env)
  const backend = await openBackend(options, { env, dataDir, log, replayCapacity: options.replayCapacity })
  return new KernelRuntime({
    backend,
    dataDir,
    log,
    // What plugins (and the commands, terminals and servers they start) see: never the password.
    env: withoutServerSecrets(env),
    instanceCapacity: options.instanceCapacity ?? 32,
    replayCapacity: options.replayCapacity ?? 4096,
    internalToken,
    dev: options.dev ?? false,
  })
}

/** Builds the first app and readies it and the stores; on failure the kernel is closed. */
async function startApp(
  kernel: KernelRuntime,
  plugins: readonly LoadedPlugin[],
  options: AppOptions,
): Promise<FastifyInstance> {
  try {
    const app = await buildApp(kernel, plugins, options)
    await app.ready()
    await kernel.backend.ready()
    return app
  } catch (error) {
    await kernel.close()
    throw error
  }
}

/** Third-party plugins that fail to register are left out, with why. */
function pluginFailureReporter(
  skipped: RunningServer['skipped'],
  log: FastifyBaseLogger,
): AppOptions['onPluginFailure'] {
  return (plugin, error) => {
    skipped.push({ plugin: plugin.definition.name, error })
    log.error(
      { plugin: plugin.definition.name, err: error },
      `third-party plugin "${plugin.definition.name}" failed to register`,
    )
  }
}

/** Builds the kernel and the app with every plugin; checks everything before anything listens. */
export async function createServer(options: ServerOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env
  const security = securityOptions(options, env)
  const log = pino({ level: options.logLevel ?? env.LOG_LEVEL ?? 'info' })
  if (security.password) security.throttle = new AuthThrottle(log, options.authThrottle)
  const cwd = options.cwd ?? process.cwd()
  const gitRoot = await findGitRoot(cwd)
  const pluginSet: PluginSetOptions = {
    log,
    env,
    cwd,
    gitRoot,
    pluginDirs: options.pluginDirs ?? [join(PACKAGE_ROOT, 'dist', 'plugins')],
    builtins: options.builtins,
    only: options.only,
    dev: options.dev,
    plugins: options.plugins,
  }
  const { ordered, skipped, thirdParty, entries } = await loadPlugins(pluginSet, options.dev ? 0 : undefined)

  const kernel = await openKernel(options, env, log, security.internalToken)
  kernel.pluginEntries = entries
  kernel.describePlugins = () => describePlugins({ ordered, entries }, skipped)
  // A reload's entries replace these only once its app is ready (swap), like its plugins.
  let reloadedEntries = entries
  let reloadedSet: Pick<PluginSet, 'ordered' | 'entries' | 'skipped'> = { ordered, entries, skipped: [] }
  const streams = new EventStreams(kernel.backend.feed ?? kernel.bus, {
    heartbeatMs: options.heartbeatMs ?? 10_000,
    maxQueuedBytes: options.sseMaxQueuedBytes ?? 4 * 1024 * 1024,
  })
  // Dev mode owns the listener and hands each request to the current app.
  const listener = options.dev ? new SwappableListener() : undefined
  const appOptions: AppOptions = {
    security,
    cwd,
    bodyLimit: options.bodyLimit ?? 32 * 1024 * 1024,
    streams,
    lazyCompile: options.lazyCompile,
    keepConnections: () => listener?.keepConnections ?? false,
    onPluginFailure: pluginFailureReporter(skipped, log),
    ...(listener ? { serverFactory: listener.serverFactory } : {}),
  }
  const current = { app: await startApp(kernel, ordered, appOptions) }
  listener?.activate()
  streams.start()

  const reloader = listener
    ? new DevReloader({
        kernel,
        listener,
        log,
        build: async (version) => {
          const fresh = await loadPlugins(pluginSet, version)
          reloadedEntries = fresh.entries
          reloadedSet = fresh
          return buildApp(kernel, fresh.ordered, appOptions)
        },
        swap: (next) => {
          kernel.pluginEntries = reloadedEntries
          const set = reloadedSet
          kernel.describePlugins = () => describePlugins(set, [...set.skipped, ...skipped])
          const previous = current.app
          current.app = next
          return previous
        },
      })
    : undefined
  const watcher = reloader
    ? await watchPlugins(
        [...pluginSet.pluginDirs, ...thirdPartyDirs(thirdParty, gitRoot ?? cwd)],
        () => reloader.reload(),
        log,
      )
    : undefined
  return runningServer({ current, kernel, streams, skipped, listener, watcher, options })
}

interface RunningParts {
  current: { app: FastifyInstance }
  kernel: KernelRuntime
  streams: EventStreams
  skipped: RunningServer['skipped']
  listener?: SwappableListener
  watcher?: { close(): Promise<void> }
  options: ServerOptions
}

/** The server's handle: its current app, and how it listens and closes. */
function runningServer({ current, kernel, streams, skipped, listener, watcher, options }: RunningParts): RunningServer {
  const hostname = options.hostname ?? '127.0.0.1'
  const port = options.port ?? 4096
  const http = listener?.server
  let closing: Promise<void> | undefined
  return {
    get app() {
      return current.app
    },
    kernel,
    streams,
    skipped,
    async listen() {
      if (http)
        await new Promise<void>((resolve, reject) => http.once('error', reject).listen(port, hostname, () => resolve()))
      else await current.app.listen({ port, host: hostname })
      const address = current.app.server.address()
      const actualPort = typeof address === 'object' && address ? address.port : port
      const host = hostname.includes(':') ? `[${hostname}]` : hostname
      const url = `http://${host}:${actualPort}`
      kernel.url = url
      kernel.backend.start(url)
      return url
    },
    close() {
      closing ??= (async () => {
        await watcher?.close()
        // SSE responses never finish on their own; end them first so the listener can close.
        streams.endAll()
        await current.app.close()
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

/** The environment without the server's own credentials. */
export function withoutServerSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { OPENCODE_SERVER_PASSWORD: _password, ...rest } = env
  return rest
}
