import { spawn } from 'node:child_process'

export interface GitResult {
  code: number
  stdout: string
}

const MAX_OUTPUT_BYTES = 256 * 1024 * 1024

/**
 * Runs git in `cwd` and collects its output; never throws (a missing git is code 127). Optional
 * locks are off: a status poll from a client must not hold `index.lock` against the user's git.
 */
export function runGit(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; input?: string },
): Promise<GitResult> {
  return new Promise((resolve) => {
    const child = spawn('git', ['-c', 'core.quotepath=false', ...args], {
      cwd: options.cwd,
      env: { ...options.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0' },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'ignore'],
    })
    const chunks: Buffer[] = []
    let size = 0
    child.stdout?.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_OUTPUT_BYTES) chunks.push(chunk)
      else child.kill('SIGKILL')
    })
    child.on('error', () => resolve({ code: 127, stdout: '' }))
    child.on('close', (code) =>
      resolve({ code: size > MAX_OUTPUT_BYTES ? 1 : (code ?? 1), stdout: Buffer.concat(chunks).toString('utf8') }),
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
