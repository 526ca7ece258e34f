// A throwaway PostgreSQL server for tests and the PostgreSQL run of the suite (scripts/cluster.sh
// follows the same recipe in shell): Debian's binaries, `initdb` in a temp dir, `pg_ctl` on a free
// loopback port. initdb refuses to run as root, so as root every PostgreSQL command runs as the
// `postgres` user.
import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { onCleanup } from './helper.js'

export interface TestPostgres {
  port: number
  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust authentication, no password). */
  url(database?: string): string
  /** Creates a database (default name: a fresh random one) and answers its URL. */
  createDatabase(name?: string): Promise<string>
  /** Drops the database, closing the connections still open to it. */
  dropDatabase(name: string): Promise<void>
  /** `pg_ctl stop -m fast`: the server goes away, its data stays. */
  stop(): Promise<void>
  /** Starts the stopped server again on the same port. */
  start(): Promise<void>
  /** Stops the server and removes its directory. */
  close(): Promise<void>
}

const PG_ROOT = '/usr/lib/postgresql'
/** The user every PostgreSQL command runs as when this process is root. */
const PG_USER = 'postgres'

/** The newest installed `/usr/lib/postgresql/<version>/bin`, or a clear error. */
export function postgresBinDir(): string {
  const versions = existsSync(PG_ROOT)
    ? readdirSync(PG_ROOT)
        .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb')) && existsSync(join(PG_ROOT, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (versions.length === 0)
    throw new Error(
      `PostgreSQL binaries not found (${PG_ROOT}/<version>/bin/initdb): install Debian's postgresql package (apt-get install postgresql)`,
    )
  return join(PG_ROOT, versions[0]!, 'bin')
}

/** A port nothing listens on right now, on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

function isRoot(): boolean {
  return process.getuid?.() === 0
}

/** The command line of a PostgreSQL binary: as `postgres` when root. */
function commandLine(bin: string, command: string, args: string[]): [string, string[]] {
  const file = join(bin, command)
  return isRoot() ? ['runuser', ['-u', PG_USER, '--', file, ...args]] : [file, args]
}

const RUN_OPTIONS = { encoding: 'utf8', env: { PATH: process.env.PATH, LC_ALL: 'C' }, timeout: 60_000 } as const

/**
 * Runs a PostgreSQL binary; throws with its output when it fails. Asynchronous: servers running
 * in the test process keep serving while PostgreSQL starts or stops under them.
 */
function run(bin: string, command: string, args: string[]): Promise<string> {
  const [program, argv] = commandLine(bin, command, args)
  return new Promise((resolve, reject) => {
    execFile(program, argv, RUN_OPTIONS, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${(stderr || stdout || error.message).trim()}`))
      else resolve(stdout)
    })
  })
}

/**
 * Starts a PostgreSQL server of its own in a temp dir (`initdb -A trust`, superuser `postgres`,
 * no password), listening on a free loopback port with its unix socket in the temp dir, tuned for
 * tests (no fsync; `durable` keeps fsync and synchronous commits on, as the benchmark measures)
 * and for many servers at once (300 connections). Registered with `onCleanup`
 * (closed by `cleanup()`) unless `cleanup: false`: then the caller closes it (test/run.js); it
 * is stopped anyway when the process exits.
 */
export async function startPostgres(
  options: { cleanup?: boolean; maxConnections?: number; durable?: boolean } = {},
): Promise<TestPostgres> {
  const bin = postgresBinDir()
  if (isRoot()) {
    try {
      execFileSync('id', ['-u', PG_USER], { stdio: 'ignore' })
    } catch {
      throw new Error(
        `running as root, PostgreSQL must run as the "${PG_USER}" user, which does not exist: install Debian's postgresql package (apt-get install postgresql)`,
      )
    }
  }
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'ok-pg-')))
  const data = join(dir, 'data')
  const logFile = join(dir, 'postgres.log')
  if (isRoot()) execFileSync('chown', [`${PG_USER}:`, dir])
  let running = false
  let port = 0

  // A crash of the test process must not leave a server behind: `exit` handlers run synchronously.
  const onExit = () => {
    if (running) {
      try {
        execFileSync(...commandLine(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']), {
          ...RUN_OPTIONS,
          stdio: 'ignore',
        })
      } catch {
        // Already gone.
      }
    }
    rmSync(dir, { recursive: true, force: true })
  }
  process.on('exit', onExit)

  const logTail = () =>
    existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n') : ''
  const pgStart = async () => {
    try {
      await run(bin, 'pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', 'start'])
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${logTail()}`, { cause: error })
    }
    running = true
  }

  try {
    await run(bin, 'initdb', [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--locale=C',
      ...(options.durable ? [] : ['--no-sync']),
    ])
    // Another process may take the free port before the server binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort()
      appendFileSync(
        join(data, 'postgresql.conf'),
        [
          '',
          `# test server (test/pg.ts): loopback only, socket in the temp dir${options.durable ? '' : ', fast and unsafe'}`,
          `port = ${port}`,
          "listen_addresses = '127.0.0.1'",
          `unix_socket_directories = '${dir}'`,
          ...(options.durable ? [] : ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off']),
          `max_connections = ${options.maxConnections ?? 300}`,
          '',
        ].join('\n'),
      )
      try {
        await pgStart()
        break
      } catch (error) {
        if (attempt >= 3 || !/already in use|could not bind|could not create any TCP/i.test((error as Error).message))
          throw error
      }
    }
  } catch (error) {
    onExit()
    process.off('exit', onExit)
    throw error
  }

  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`
  const admin = async <T>(sql: string): Promise<T> => {
    const client = new pg.Client({ connectionString: url() })
    await client.connect()
    try {
      return (await client.query(sql)) as T
    } finally {
      await client.end()
    }
  }
  const checkName = (name: string) => {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name))
      throw new Error(`database name must be lowercase letters, digits and _ (at most 63): "${name}"`)
  }
  let closing: Promise<void> | undefined
  const server: TestPostgres = {
    get port() {
      return port
    },
    url,
    async createDatabase(name = `test_${randomBytes(6).toString('hex')}`) {
      checkName(name)
      await admin(`CREATE DATABASE "${name}"`)
      return url(name)
    },
    async dropDatabase(name) {
      checkName(name)
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    },
    async stop() {
      if (!running) return
      await run(bin, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'])
      running = false
    },
    async start() {
      if (!running) await pgStart()
    },
    close() {
      closing ??= (async () => {
        try {
          await server.stop()
        } finally {
          process.off('exit', onExit)
          rmSync(dir, { recursive: true, force: true })
        }
      })()
      return closing
    },
  }
  if (options.cleanup !== false) onCleanup(() => server.close())
  return server
}
