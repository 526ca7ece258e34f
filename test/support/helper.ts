import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import pg from 'pg'
import { createServer, type RunningServer, type ServerOptions } from '../../kernel/http/server.js'
import { postgresBinDir } from './pg.js'

const cleanups: (() => unknown)[] = []

/** Runs everything registered with `onCleanup`, newest first. Call it in `after`. */
export async function cleanup(): Promise<void> {
  while (cleanups.length > 0) await cleanups.pop()!()
}

export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn)
}

/** A fresh temp directory (real path), removed by `cleanup()`. */
export function tempDir(prefix = 'ok-test-'): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)))
  onCleanup(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  }).trim()
}

/** A real git repository in a temp dir with one commit on `main`. */
export function gitRepo(files: Record<string, string> = { 'README.md': '# test\n' }): string {
  const dir = tempDir('ok-repo-')
  git(dir, 'init', '-q', '-b', 'main')
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), content)
  }
  git(dir, 'add', '.')
  git(dir, 'commit', '-q', '-m', 'initial')
  return dir
}

/**
 * The PostgreSQL server the suite runs on, or undefined when it runs on SQLite (the default).
 * test/run.js sets it when `OPENCODE_KERNEL_TEST_DATABASE=postgres` (a throwaway server for the
 * run) or `=postgres://…` (an existing server where the user may create databases).
 */
export function testDatabaseUrl(): string | undefined {
  return process.env.OPENCODE_KERNEL_TEST_DATABASE_URL || undefined
}

/** The cluster secret of every test server on PostgreSQL. */
export const TEST_CLUSTER_SECRET = 'opencode-kernel-test-cluster-secret'

let admin: pg.Pool | undefined
/** Data dir → URL of its database on the run's PostgreSQL server. */
const databases = new Map<string, Promise<string>>()

/**
 * Where a server on `dataDir` keeps its stores in this run: undefined on SQLite (the data dir's
 * file), else the URL of the data dir's own database, created on first use, so servers restarted
 * on the same data dir see their data. A database is dropped once its data dir is gone (cleaned up).
 */
export function databaseFor(dataDir: string): Promise<string | undefined> {
  const base = testDatabaseUrl()
  if (!base) return Promise.resolve(undefined)
  const key = resolve(dataDir)
  // It must exist from now on: a database whose data dir is gone gets dropped.
  mkdirSync(key, { recursive: true })
  let url = databases.get(key)
  if (!url) {
    url = createDatabaseFor(base, key)
    databases.set(key, url)
    url.catch(() => databases.delete(key))
  }
  return url
}

async function createDatabaseFor(base: string, dataDir: string): Promise<string> {
  if (!admin) {
    admin = new pg.Pool({ connectionString: base, max: 2, allowExitOnIdle: true })
    // An idle connection cut when the server stops at the end of the run is no error of a test.
    admin.on('error', () => {})
  }
  for (const [dir, url] of databases) {
    if (!existsSync(dir)) await dropDatabaseOf(dir, url)
  }
  const name = `ok_${createHash('sha256').update(dataDir).digest('hex').slice(0, 24)}`
  try {
    await admin.query(`CREATE DATABASE "${name}"`)
  } catch (error) {
    // 42P04: it exists (a data dir of an earlier server process of this run).
    if ((error as { code?: string }).code !== '42P04') throw error
  }
  const url = new URL(base)
  url.pathname = `/${name}`
  return url.toString()
}

async function dropDatabaseOf(dataDir: string, url: Promise<string>): Promise<void> {
  databases.delete(dataDir)
  const name = await url.then((u) => new URL(u).pathname.slice(1)).catch(() => undefined)
  // A database left behind costs disk space only, never a test.
  if (name) await admin?.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {})
}

/**
 * A crash as the tests simulate one: the stores of `server` copied, as they are at this moment,
 * for a second server on `toDataDir` to start on. SQLite: the file (after a checkpoint).
 * PostgreSQL: what the server has done so far is committed, then its database is dumped into the
 * data dir's own database (`pg_dump`, a consistent snapshot while the server goes on), without
 * the leases, which a crash leaves to expire.
 */
export async function copyStores(server: TestServer, toDataDir: string): Promise<void> {
  const cluster = server.kernel.cluster
  if (!cluster) {
    server.kernel.storage.db.pragma('wal_checkpoint(FULL)')
    copyFileSync(server.kernel.storage.file, join(toDataDir, 'opencode-kernel.db'))
    return
  }
  await cluster.replica.flush()
  const target = await databaseFor(toDataDir)
  if (!target) throw new Error('copyStores: a server on PostgreSQL in a run without a test database')
  const dump = execFileSync(join(postgresBinDir(), 'pg_dump'), ['--no-owner', '--dbname', cluster.db.url], {
    maxBuffer: 256 * 1024 * 1024,
  })
  execFileSync(join(postgresBinDir(), 'psql'), ['-q', '-v', 'ON_ERROR_STOP=1', '--dbname', target], {
    input: dump,
    stdio: ['pipe', 'ignore', 'pipe'],
  })
  const client = new pg.Client({ connectionString: target })
  await client.connect()
  try {
    await client.query('DELETE FROM kernel_lease')
  } finally {
    await client.end()
  }
}

/** Drops the databases still there and disconnects (test/run.js, at the end of a PostgreSQL run). */
export async function dropTestDatabases(): Promise<void> {
  for (const [dir, url] of databases) await dropDatabaseOf(dir, url)
  await admin?.end()
  admin = undefined
}

/** What a server process (`bin/opencode-kernel.js serve`) on `dataDir` needs in its env for this run's database. */
export async function databaseEnv(dataDir: string): Promise<NodeJS.ProcessEnv> {
  const url = await databaseFor(dataDir)
  return url ? { OPENCODE_KERNEL_DATABASE_URL: url, OPENCODE_KERNEL_CLUSTER_SECRET: TEST_CLUSTER_SECRET } : {}
}

export interface TestServer extends RunningServer {
  dataDir: string
  /** A config home with nothing in it, so the developer's own OpenCode config never leaks in. */
  configHome: string
}

/**
 * Boots the kernel with only the built-in plugins a test needs (`only`), a temp data dir, an
 * empty config home and a silent log; on PostgreSQL runs, the data dir's database; schemas
 * compiled lazily unless `lazyCompile: false`. Closed by `cleanup()`.
 */
export async function startServer(options: ServerOptions & { env?: NodeJS.ProcessEnv } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir('ok-data-')
  const configHome = tempDir('ok-config-')
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    XDG_CONFIG_HOME: configHome,
    // Login shells (terminals, start commands) on a machine whose ~/.bashrc runs `pyenv init`
    // wait this long for a rehash lock a killed shell left behind (.ci/run sets it low).
    ...(process.env.PYENV_REHASH_TIMEOUT ? { PYENV_REHASH_TIMEOUT: process.env.PYENV_REHASH_TIMEOUT } : {}),
    ...options.env,
  }
  const database = options.database ?? (await databaseFor(dataDir))
  const clusterSecret = options.clusterSecret ?? (database?.startsWith('postgres') ? TEST_CLUSTER_SECRET : undefined)
  const server = await createServer({
    logLevel: 'silent',
    port: 0,
    cwd: options.cwd ?? tempDir('ok-cwd-'),
    ...options,
    // Each route compiles its schemas on first use, as `npm start` does: compiling all of them
    // took most of a test server's start (seconds). test/kernel/doc.test.ts compiles them all.
    lazyCompile: options.lazyCompile ?? true,
    env,
    dataDir,
    database,
    clusterSecret,
  })
  onCleanup(() => server.close())
  return Object.assign(server, { dataDir, configHome })
}

/**
 * On PostgreSQL (a cluster node), waits until what the server wrote and published is committed
 * and every committed event delivered; on SQLite there is nothing in flight.
 */
export async function settled(server: RunningServer): Promise<void> {
  await server.kernel.cluster?.replica.flush()
  await server.kernel.cluster?.replica.catchUp()
}

const urls = new WeakMap<RunningServer, Promise<string>>()

/** Starts listening (once) on a free loopback port and returns the base URL. */
export function listen(server: RunningServer): Promise<string> {
  let url = urls.get(server)
  if (!url) urls.set(server, (url = server.listen()))
  return url
}

export interface SseConnection {
  response: IncomingMessage
  /** Frames received so far: the SSE `id` and the parsed `data`. */
  frames: { id: string; data: any }[]
  /** Resolves with the first frame (from the start) matching `predicate`. */
  next(predicate: (frame: { id: string; data: any }) => boolean, timeoutMs?: number): Promise<{ id: string; data: any }>
  /** Resolves when the server ends the stream. */
  ended: Promise<void>
  close(): void
}

/** Parses the complete SSE frames out of `text` (their `id:` and joined `data:` lines); answers them and the unparsed rest. */
export function parseSseFrames(text: string): { frames: { id: string; data: string }[]; rest: string } {
  const frames: { id: string; data: string }[] = []
  let index: number
  while ((index = text.indexOf('\n\n')) !== -1) {
    const raw = text.slice(0, index)
    text = text.slice(index + 2)
    let id = ''
    let data = ''
    for (const line of raw.split('\n')) {
      if (line.startsWith('id: ')) id = line.slice(4)
      else if (line.startsWith('data: ')) data += line.slice(6)
    }
    frames.push({ id, data })
  }
  return { frames, rest: text }
}

/** Opens a real SSE connection. */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      const frames: { id: string; data: any }[] = []
      const waiters: (() => void)[] = []
      let buffer = ''
      let endedResolve!: () => void
      const ended = new Promise<void>((r) => (endedResolve = r))
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        const parsed = parseSseFrames(buffer + chunk)
        buffer = parsed.rest
        for (const frame of parsed.frames) {
          frames.push({ id: frame.id, data: frame.data ? JSON.parse(frame.data) : undefined })
          for (const waiter of waiters.splice(0)) waiter()
        }
      })
      response.on('end', endedResolve)
      response.on('close', endedResolve)
      const connection: SseConnection = {
        response,
        frames,
        ended,
        next(predicate, timeoutMs = 5000) {
          return new Promise((res, rej) => {
            const timer = setTimeout(
              () =>
                rej(
                  new Error(
                    `no matching SSE frame in ${timeoutMs} ms; got ${JSON.stringify(frames.map((f) => f.data?.type ?? f.data?.payload?.type))}`,
                  ),
                ),
              timeoutMs,
            )
            const check = () => {
              const found = frames.find(predicate)
              if (found) {
                clearTimeout(timer)
                res(found)
              } else waiters.push(check)
            }
            check()
          })
        },
        close() {
          req.destroy()
        },
      }
      onCleanup(() => connection.close())
      resolve(connection)
    })
    req.on('error', reject)
    req.end()
  })
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
