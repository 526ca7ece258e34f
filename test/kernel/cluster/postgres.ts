// A throwaway PostgreSQL server for the cluster tests (Debian's postgresql package: initdb + pg_ctl
// in a temp dir on a free port, as the postgres user when run as root since initdb refuses root).
// Same shape as the shared fixture test/pg.ts is to have; switch to it once it is on main.
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

export interface Postgres {
  url(database?: string): string
  createDatabase(name: string): Promise<string>
  stop(): void
  start(): void
  close(): Promise<void>
}

function binDir(): string {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) throw new Error('PostgreSQL is not installed (apt-get install postgresql)')
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0]
  if (!version) throw new Error(`no PostgreSQL version under ${root}`)
  return join(root, version, 'bin')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export async function startPostgres(): Promise<Postgres> {
  const bin = binDir()
  const dir = mkdtempSync(join(tmpdir(), 'ok-pg-'))
  const asRoot = process.getuid?.() === 0
  const uid = asRoot ? Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()) : undefined
  if (uid !== undefined) chownSync(dir, uid, uid)
  const run = (command: string, args: string[]) => {
    if (asRoot) execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', [command, ...args].map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ')], { stdio: 'pipe' })
    else execFileSync(command, args, { stdio: 'pipe' })
  }
  const port = await freePort()
  const data = join(dir, 'data')
  run(join(bin, 'initdb'), ['-A', 'trust', '-U', 'postgres', '-D', data])
  const start = () => run(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start'])
  const stop = () => run(join(bin, 'pg_ctl'), ['-D', data, '-w', '-m', 'fast', 'stop'])
  start()
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`
  return {
    url,
    start,
    stop,
    async createDatabase(name: string) {
      const client = new pg.Client({ connectionString: url() })
      await client.connect()
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`)
      } finally {
        await client.end()
      }
      return url(name)
    },
    async close() {
      try {
        stop()
      } catch {
        // Already stopped.
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
