import type { FastifyInstance } from 'fastify'
import { join } from 'node:path'
import pino from 'pino'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'
import { findGitRoot } from './instance.js'
import { defaultDataDir, KernelRuntime } from './kernel.js'
import { discoverBuiltinPlugins, loadThirdPartyPlugins, orderPlugins, type LoadedPlugin } from './loader.js'
import { isLoopbackHostname, type SecurityOptions } from './security.js'
import { EventStreams } from './stream.js'
import { KERNEL_VERSION, PACKAGE_ROOT } from './version.js'

export interface ServerOptions {
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
  replayCapacity?: number
  heartbeatMs?: number
  /** Bytes a slow SSE client may fall behind before it is dropped. */
  sseMaxQueuedBytes?: number
  bodyLimit?: number
  /** Compile route schemas on first use instead of at start (the CLI does; tests do not). */
  lazyCompile?: boolean
}

export interface RunningServer {
  app: FastifyInstance
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
    username: options.username ?? (env.OPENCODE_SERVER_USERNAME || 'opencode'),
    hostname,
    cors: options.cors ?? [],
    insecure,
  }
  const cwd = options.cwd ?? process.cwd()
  const log = pino({ level: options.logLevel ?? env.LOG_LEVEL ?? 'info' })

  const builtins = options.builtins
    ? [...options.builtins]
    : await discoverBuiltinPlugins(options.pluginDirs ?? [join(PACKAGE_ROOT, 'dist', 'plugins')], options.only)
  const gitRoot = await findGitRoot(cwd)
  const worktree = gitRoot ?? cwd
  let configured: string[] = []
  try {
    const plugin = loadConfig(cwd, gitRoot, env).config.plugin
    if (Array.isArray(plugin)) configured = plugin.filter((entry): entry is string => typeof entry === 'string')
  } catch (error) {
    log.error({ err: error }, 'config could not be read; no third-party plugins loaded')
  }
  const thirdParty = await loadThirdPartyPlugins([...configured, ...(options.plugins ?? [])], worktree)
  const { ordered, failures } = orderPlugins([...builtins, ...thirdParty.plugins], KERNEL_VERSION)
  const skipped = [...thirdParty.failures, ...failures].map(({ plugin, error }) => ({ plugin, error }))
  for (const { plugin, error } of skipped) log.error({ plugin, err: error }, `third-party plugin "${plugin}" skipped: ${error.message}`)

  const kernel = new KernelRuntime({
    dataDir: options.dataDir ?? defaultDataDir(env),
    log,
    env,
    instanceCapacity: options.instanceCapacity ?? 32,
    replayCapacity: options.replayCapacity ?? 4096,
  })
  const streams = new EventStreams(kernel.bus, {
    heartbeatMs: options.heartbeatMs ?? 10_000,
    maxQueuedBytes: options.sseMaxQueuedBytes ?? 4 * 1024 * 1024,
  })
  let app: FastifyInstance
  try {
    app = await buildApp(kernel, ordered, {
      security,
      cwd,
      bodyLimit: options.bodyLimit ?? 32 * 1024 * 1024,
      streams,
      lazyCompile: options.lazyCompile,
      onPluginFailure: (plugin: LoadedPlugin, error: Error) => {
        skipped.push({ plugin: plugin.definition.name, error })
        log.error({ plugin: plugin.definition.name, err: error }, `third-party plugin "${plugin.definition.name}" failed to register`)
      },
    })
    await app.ready()
  } catch (error) {
    await kernel.close()
    throw error
  }
  streams.start()

  let closing: Promise<void> | undefined
  return {
    app,
    kernel,
    streams,
    skipped,
    async listen() {
      await app.listen({ port, host: hostname })
      const address = app.server.address()
      const actualPort = typeof address === 'object' && address ? address.port : port
      const host = hostname.includes(':') ? `[${hostname}]` : hostname
      return `http://${host}:${actualPort}`
    },
    close() {
      closing ??= (async () => {
        // SSE responses never finish on their own; end them first so the listener can close.
        streams.endAll()
        await app.close()
        await kernel.close()
      })()
      return closing
    },
  }
}
