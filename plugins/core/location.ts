import { execFile } from 'node:child_process'
import { basename, dirname } from 'node:path'
import { promisify } from 'node:util'
import type { Instance } from '../../sdk/index.js'

const run = promisify(execFile)

/**
 * The repository's main worktree, OpenCode 2.1's `canonical` project directory: the folder holding
 * the shared `.git` of a linked worktree; the worktree itself for the main one, a bare repository
 * or a directory outside git.
 */
async function findCanonical(instance: Instance): Promise<string> {
  if (instance.project.vcs !== 'git') return instance.worktree
  try {
    const { stdout } = await run('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], {
      cwd: instance.worktree,
      timeout: 10_000,
    })
    const common = stdout.trim()
    return basename(common) === '.git' ? dirname(common) : instance.worktree
  } catch {
    return instance.worktree
  }
}

/** `canonical` of the instance's project, asked of git once per instance. */
export function canonicalDirectory(instance: Instance): Promise<string> {
  return instance.state('core.canonical-directory', findCanonical)
}
