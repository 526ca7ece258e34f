import { parseArgs } from 'node:util'
import type { LoadedPlugin } from './core/plugin-loader.js'
import { createServer, type RunningServer } from './http/server.js'
import { KERNEL_VERSION } from './core/version.js'

const USAGE = `Usage: opencode-kernel serve [options]

Options:
  --port <n>          port to listen on (default 4096; 0 picks a free one)
  --hostname <host>   address to listen on (default 127.0.0.1)
  --cors <origin>     also allow this browser origin (repeatable)
  --insecure          allow a non-loopback hostname without OPENCODE_SERVER_PASSWORD
  --dev               reload plugins when their files change (run \`tsc -w\` beside it)
  --database <url>    postgres://user:pass@host:port/db (several servers share it) or
                      sqlite:<file> (default: the SQLite file in the data directory)
  --node-url <url>    how the other servers of a cluster reach this one (default: the listen URL)
  --version           print the version
  --help              print this help

Environment:
  OPENCODE_SERVER_PASSWORD   require HTTP Basic (or Bearer) auth with this password
  OPENCODE_SERVER_USERNAME   the Basic auth user (default opencode)
  OPENCODE_KERNEL_DATA       data directory (default $XDG_DATA_HOME/opencode-kernel)
  OPENCODE_KERNEL_DATABASE_URL    as --database
  OPENCODE_KERNEL_CLUSTER_SECRET  shared secret of the servers on one PostgreSQL database (required there)
  OPENCODE_KERNEL_NODE_URL        as --node-url
  OPENCODE_KERNEL_LEASE_TTL_MS    how long an instance lease lasts unrenewed (default 30000)
  LOG_LEVEL                  trace | debug | info | warn | error | silent (default info)
`

/** How long shutdown may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 5000

/**
 * The `opencode-kernel` command. `builtins` are the built-in plugins when the bundled build
 * already holds them; otherwise they are discovered in `dist/plugins`.
 */
export async function run(argv: string[], builtins?: LoadedPlugin[]): Promise<void> {
  const code = await main(argv, builtins)
  if (code >= 0) process.exit(code)
}

async function main(argv: string[], builtins: LoadedPlugin[] | undefined): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      hostname: { type: 'string' },
      cors: { type: 'string', multiple: true },
      insecure: { type: 'boolean' },
      dev: { type: 'boolean' },
      database: { type: 'string' },
      'node-url': { type: 'string' },
      version: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(USAGE)
    return 0
  }
  if (values.version) {
    process.stdout.write(KERNEL_VERSION + '\n')
    return 0
  }
  const command = positionals[0] ?? 'serve'
  if (command !== 'serve') {
    process.stderr.write(`unknown command "${command}"\n\n${USAGE}`)
    return 2
  }
  const port = values.port === undefined ? 4096 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be a number from 0 to 65535, got "${values.port}"\n`)
    return 2
  }

  let server: RunningServer
  try {
    server = await createServer({
      port,
      hostname: values.hostname,
      cors: values.cors,
      insecure: values.insecure,
      lazyCompile: true,
      builtins,
      dev: values.dev,
      database: values.database,
      nodeUrl: values['node-url'],
    })
  } catch (error) {
    process.stderr.write(`opencode-kernel: ${(error as Error).message}\n`)
    return 1
  }
  const shutdown = (signal: string) => {
    server.kernel.log.info({ signal }, 'shutting down')
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref()
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.kernel.log.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  // Also when the grace above runs out: no child process group outlives the server.
  process.once('exit', () => server.kernel.processes.killAll())
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => shutdown(signal))
  try {
    const url = await server.listen()
    process.stdout.write(`opencode-kernel ${KERNEL_VERSION} listening on ${url}\n`)
  } catch (error) {
    process.stderr.write(`opencode-kernel: cannot listen: ${(error as Error).message}\n`)
    await server.close()
    return 1
  }
  return -1
}
