// PostgreSQL for the benchmark (`BENCH_DATABASE`): a database of its own on a server given by URL,
// or a throwaway server (Debian's binaries, `initdb` + `pg_ctl` in a temp dir on a free loopback
// port). Unlike the tests' server, the throwaway one keeps fsync and synchronous commits on: the
// figures measure what a deployment pays for each commit, only the network is loopback.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

export interface BenchDatabase {
  /** `postgres://…/<fresh database>` for the servers measured. */
  url: string
  /** What the table says the server ran on, e.g. "PostgreSQL 15.14, throwaway server, fsync on". */
  label: string
  /** Drops the database; stops and removes the throwaway server. */
  close(): Promise<void>
}

const PG_ROOT = '/usr/lib/postgresql'
const PG_USER = 'postgres'

/** initdb refuses root: as root every PostgreSQL binary runs as the `postgres` user. */
function runPg(bin: string, command: string, args: string[]): string {
  const file = join(bin, command)
  const [program, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', PG_USER, '--', file, ...args]] : [file, args]
  try {
    return execFileSync(program, argv, { encoding: 'utf8', env: { PATH: process.env.PATH, LC_ALL: 'C' }, timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string }
    throw new Error(`${command} ${args.join(' ')} failed: ${(stderr || stdout || (error as Error).message).trim()}`)
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))))
    })
  })
}

/** A PostgreSQL server in a temp dir, stopped and removed by `close()` (or when the process exits). */
async function throwawayServer(): Promise<{ url: string; version: string; close(): void }> {
  const versions = existsSync(PG_ROOT) ? readdirSync(PG_ROOT).filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : []
  if (versions.length === 0) throw new Error(`BENCH_DATABASE=postgres needs PostgreSQL's binaries in ${PG_ROOT}/<version>/bin (apt-get install postgresql), or give a postgres:// URL`)
  const bin = join(PG_ROOT, versions[0]!, 'bin')
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'ok-bench-pg-')))
  const data = join(dir, 'data')
  if (process.getuid?.() === 0) execFileSync('chown', [`${PG_USER}:`, dir])
  let running = false
  const close = () => {
    if (running) {
      try {
        runPg(bin, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'])
      } catch {
        // Already gone.
      }
      running = false
    }
    rmSync(dir, { recursive: true, force: true })
    process.off('exit', close)
  }
  // A bench that crashes must not leave the server behind (`exit` handlers run synchronously).
  process.on('exit', close)
  try {
    runPg(bin, 'initdb', ['-D', data, '-A', 'trust', '-U', PG_USER, '-E', 'UTF8', '--locale=C'])
    const port = await freePort()
    appendFileSync(
      join(data, 'postgresql.conf'),
      `\n# benchmark server (test/bench/postgres.ts): loopback only, durable commits as deployed\nport = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\n`,
    )
    try {
      runPg(bin, 'pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', '60', 'start'])
    } catch (error) {
      const log = join(dir, 'postgres.log')
      throw new Error(`${(error as Error).message}\n${existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-10).join('\n') : ''}`)
    }
    running = true
    return { url: `postgres://${PG_USER}@127.0.0.1:${port}/postgres`, version: versions[0]!, close }
  } catch (error) {
    close()
    throw error
  }
}

async function admin<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(sql)).rows
  } finally {
    await client.end()
  }
}

/**
 * `BENCH_DATABASE=postgres`: a throwaway server; `BENCH_DATABASE=postgres://…`: that server.
 * Either way a fresh database, dropped by `close()`.
 */
export async function benchDatabase(value: string): Promise<BenchDatabase> {
  if (value !== 'postgres' && !/^postgres(ql)?:\/\//i.test(value)) throw new Error(`BENCH_DATABASE must be "postgres" (a throwaway server) or a postgres:// URL, got "${value}"`)
  const server = value === 'postgres' ? await throwawayServer() : undefined
  const adminUrl = server?.url ?? value
  const name = `bench_${randomBytes(6).toString('hex')}`
  try {
    await admin(adminUrl, `CREATE DATABASE "${name}"`)
    const { version, fsync } = (await admin<{ version: string; fsync: string }>(adminUrl, "SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync"))[0]!
    const url = new URL(adminUrl)
    url.pathname = `/${name}`
    return {
      url: url.toString(),
      label: `PostgreSQL ${version.split(' ')[0]}, ${server ? 'throwaway server on loopback' : url.host}, fsync ${fsync}`,
      async close() {
        try {
          await admin(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
        } finally {
          server?.close()
        }
      },
    }
  } catch (error) {
    server?.close()
    throw error
  }
}
