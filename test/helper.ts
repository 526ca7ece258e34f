import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createServer, type RunningServer, type ServerOptions } from '../kernel/server.js'

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
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
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

export interface TestServer extends RunningServer {
  dataDir: string
  /** A config home with nothing in it, so the developer's own OpenCode config never leaks in. */
  configHome: string
}

/**
 * Boots the kernel with only the built-in plugins a test needs (`only`), a temp data dir, an
 * empty config home and a silent log. Closed by `cleanup()`.
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
  const server = await createServer({ logLevel: 'silent', port: 0, cwd: options.cwd ?? tempDir('ok-cwd-'), ...options, env, dataDir })
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
            const timer = setTimeout(() => rej(new Error(`no matching SSE frame in ${timeoutMs} ms; got ${JSON.stringify(frames.map((f) => f.data?.type ?? f.data?.payload?.type))}`)), timeoutMs)
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
