// Real server processes for tests and the soak suite: `bin/opencode-kernel.js serve` on a free
// port, a project whose opencode.json points at a scripted LLM, and `ps` to see what is left.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../kernel/core/version.js'
import { databaseEnv } from './helper.js'

export interface ServerProcess {
  child: ChildProcess
  url: string
  /** Everything the process wrote to stderr (its log). */
  log(): string
  /** JSON request against the server: `{ status, body }`. */
  call(
    method: string,
    path: string,
    payload?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>
  /** Sends `signal` and resolves with the exit code (or the signal name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>
}

/**
 * Writes an opencode.json into `repo` whose default model is `scripted/test-model` at `llmUrl`;
 * `testModel` replaces the model's entry (a small context, variants, costs ...).
 */
export function writeScriptedConfig(
  repo: string,
  llmUrl: string,
  extra: Record<string, unknown> = {},
  testModel: Record<string, unknown> = { name: 'Test model', limit: { context: 100000, output: 4096 } },
): void {
  const config = {
    model: 'scripted/test-model',
    small_model: 'scripted/test-model',
    provider: {
      scripted: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Scripted',
        options: { baseURL: llmUrl, apiKey: 'test-key' },
        models: { 'test-model': testModel },
      },
    },
    ...extra,
  }
  writeFileSync(join(repo, 'opencode.json'), JSON.stringify(config, null, 2))
}

/**
 * Starts `opencode-kernel serve --port 0` in `cwd` with `dataDir` (on PostgreSQL runs, the data
 * dir's database); resolves once it listens.
 */
export async function startServerProcess(options: {
  cwd: string
  dataDir: string
  configHome: string
  env?: NodeJS.ProcessEnv
  args?: string[]
}): Promise<ServerProcess> {
  const database = await databaseEnv(options.dataDir)
  const child = spawn(
    process.execPath,
    [join(PACKAGE_ROOT, 'bin', 'opencode-kernel.js'), 'serve', '--port', '0', ...(options.args ?? [])],
    {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        OPENCODE_KERNEL_DATA: options.dataDir,
        XDG_CONFIG_HOME: options.configHome,
        LOG_LEVEL: 'warn',
        ...database,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-200_000)
  })
  const exited = once(child, 'exit')
  const url = await new Promise<string>((resolve, reject) => {
    let text = ''
    const timer = setTimeout(
      () => reject(new Error(`server did not listen within 60 s: ${stderr.slice(-2000)}`)),
      60_000,
    )
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk
      const match = text.match(/listening on (http:\/\/\S+)/)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited (${code}) before listening: ${stderr.slice(-2000)}`))
    })
  })
  return {
    child,
    url,
    log: () => stderr,
    async call(method, path, payload, headers = {}) {
      const response = await fetch(url + path, {
        method,
        headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: payload === undefined ? undefined : JSON.stringify(payload),
      })
      const text = await response.text()
      let body: unknown = text
      try {
        body = text ? JSON.parse(text) : undefined
      } catch {
        // not JSON
      }
      return { status: response.status, body, headers: response.headers }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const [code, name] = (await exited) as [number | null, string | null]
      return code ?? name ?? 'unknown'
    },
  }
}

/** Every process on the machine: pid, process group, command line. */
export function processTable(): { pid: number; pgid: number; ppid: number; args: string }[] {
  return execFileSync('ps', ['-eo', 'pid=,pgid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .flatMap((line) => {
      const match = line.trim().match(/^(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/)
      return match ? [{ pid: Number(match[1]), pgid: Number(match[2]), ppid: Number(match[3]), args: match[4]! }] : []
    })
}

/** Processes whose command line contains `text` (the `ps` call itself excluded). */
export function processesMatching(text: string): { pid: number; pgid: number; ppid: number; args: string }[] {
  return processTable().filter((p) => p.args.includes(text) && !p.args.startsWith('ps '))
}

/** Whether any process of the group `pgid` is still alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

export { waitFor } from './wait.js'
