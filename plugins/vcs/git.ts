import { spawn } from 'node:child_process'

export interface GitResult {
  code: number
  stdout: string
  stderr: string
  /** The output went past `maxBytes` and was cut there (git was stopped). */
  truncated: boolean
}

export interface GitOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  input?: string
  /** Output kept at most; beyond it git is stopped and `truncated` set. */
  maxBytes?: number
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024
const MAX_STDERR_BYTES = 16 * 1024

/**
 * Runs git and collects its output; never throws (a missing git is code 127). Optional locks are
 * off (a status poll must not hold `index.lock` against the user's git), quoting of paths too, and
 * the user's pager, external diff and textconv drivers stay out of it.
 */
export function runGit(args: string[], options: GitOptions): Promise<GitResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
  return new Promise((resolve) => {
    const child = spawn('git', ['-c', 'core.quotepath=false', '-c', 'core.pager=cat', ...args], {
      cwd: options.cwd,
      env: { ...options.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', LC_ALL: 'C' },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    const chunks: Buffer[] = []
    let size = 0
    let truncated = false
    let stderr = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      if (truncated) return
      if (size + chunk.length > maxBytes) {
        chunks.push(chunk.subarray(0, maxBytes - size))
        truncated = true
        child.kill('SIGKILL')
        return
      }
      size += chunk.length
      chunks.push(chunk)
    })
    child.stderr!.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.toString('utf8')
    })
    child.on('error', () => resolve({ code: 127, stdout: '', stderr: 'git could not be started', truncated: false }))
    child.on('close', (code) =>
      resolve({
        code: truncated ? 0 : (code ?? 1),
        stdout: Buffer.concat(chunks).toString('utf8'),
        stderr: stderr.slice(0, MAX_STDERR_BYTES),
        truncated,
      }),
    )
    if (child.stdin) {
      child.stdin.on('error', () => {})
      child.stdin.end(options.input)
    }
  })
}

/** Records of `-z` output (NUL-separated, the empty tail dropped). */
export function nulRecords(stdout: string): string[] {
  return stdout.split('\0').filter((record) => record !== '')
}
