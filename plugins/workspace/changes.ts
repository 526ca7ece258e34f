import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChangesNotAppliedError } from './errors.js'

interface GitResult {
  code: number
  stdout: string
  stderr: string
}

function gitEnv(base: NodeJS.ProcessEnv, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', ...extra }
  for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_COMMON_DIR']) delete env[key]
  if (!extra.GIT_INDEX_FILE) delete env.GIT_INDEX_FILE
  return env
}

function git(cwd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<GitResult> {
  return new Promise((resolve) => {
    const child = spawn('git', args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    child.on('error', (error) => resolve({ code: 1, stdout: '', stderr: error.message }))
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    )
    child.stdin.on('error', () => {})
    child.stdin.end(input ?? '')
  })
}

/**
 * The uncommitted changes of a checkout against its HEAD, untracked files included, as a binary
 * patch. Built in a throw-away index, so the user's own index (what they staged) is not touched.
 */
async function uncommittedPatch(checkout: string, env: NodeJS.ProcessEnv): Promise<string> {
  const index = join(tmpdir(), `opencode-kernel-${randomBytes(6).toString('hex')}.index`)
  const scratch = gitEnv(env, { GIT_INDEX_FILE: index })
  try {
    for (const args of [
      ['read-tree', 'HEAD'],
      ['add', '--all', '.'],
    ]) {
      const result = await git(checkout, args, scratch)
      if (result.code !== 0)
        throw new ChangesNotAppliedError(`Cannot read the changes of ${checkout}: ${result.stderr.trim()}`, 'non-git')
    }
    const diff = await git(checkout, ['diff', '--cached', '--binary', 'HEAD'], scratch)
    if (diff.code !== 0)
      throw new ChangesNotAppliedError(`Cannot read the changes of ${checkout}: ${diff.stderr.trim()}`, 'non-git')
    return diff.stdout
  } finally {
    await rm(index, { force: true })
  }
}

/**
 * Carries the uncommitted changes of checkout `from` to checkout `to` (two checkouts of one
 * repository): checked before anything is written, then applied there; `move` also takes them
 * out of `from`. Nothing to carry is fine.
 */
export async function carryChanges(
  from: string,
  to: string,
  mode: 'copy' | 'move',
  baseEnv: NodeJS.ProcessEnv,
): Promise<void> {
  const env = gitEnv(baseEnv)
  const patch = await uncommittedPatch(from, env)
  if (patch.trim() === '') return
  const check = await git(to, ['apply', '--check', '--binary', '-'], env, patch)
  if (check.code !== 0) throw new ChangesNotAppliedError(`Patch can't be applied: ${check.stderr.trim()}`, 'not-clean')
  if (mode === 'move') {
    const reverse = await git(from, ['apply', '--check', '--reverse', '--binary', '-'], env, patch)
    if (reverse.code !== 0)
      throw new ChangesNotAppliedError(
        `The changes cannot be taken out of ${from}: ${reverse.stderr.trim()}`,
        'not-clean',
      )
  }
  const applied = await git(to, ['apply', '--binary', '-'], env, patch)
  if (applied.code !== 0)
    throw new ChangesNotAppliedError(`Patch can't be applied: ${applied.stderr.trim()}`, 'not-clean')
  if (mode === 'move') {
    const reversed = await git(from, ['apply', '--reverse', '--binary', '-'], env, patch)
    if (reversed.code !== 0)
      throw new ChangesNotAppliedError(
        `The changes were copied but could not be taken out of ${from}: ${reversed.stderr.trim()}`,
        'not-clean',
      )
  }
}
