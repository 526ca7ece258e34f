import { watch, type FSWatcher } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'

/** The git directory of a worktree: `.git` itself, or where a `.git` file points (linked worktrees). */
export async function gitDirectory(worktree: string): Promise<string | undefined> {
  const dotGit = join(worktree, '.git')
  const info = await stat(dotGit).catch(() => undefined)
  if (!info) return undefined
  if (info.isDirectory()) return dotGit
  const pointer = (await readFile(dotGit, 'utf8')).match(/^gitdir:\s*(.+)\s*$/m)?.[1]
  if (!pointer) return undefined
  return isAbsolute(pointer) ? pointer : resolve(worktree, pointer)
}

/** The checked-out branch, read from HEAD without spawning git; `HEAD` when detached. */
export async function currentBranch(gitDir: string): Promise<string | undefined> {
  const head = await readFile(join(gitDir, 'HEAD'), 'utf8').catch(() => undefined)
  if (head === undefined) return undefined
  const ref = head.match(/^ref:\s*refs\/heads\/(.+)\s*$/m)?.[1]
  return ref ? ref.trim() : 'HEAD'
}

/**
 * Watches HEAD (git replaces it by rename, so the folder is watched) and reports branch changes.
 * Returns the watcher to close.
 */
export function watchBranch(
  gitDir: string,
  initial: string | undefined,
  onChange: (branch: string | undefined) => void,
): FSWatcher {
  let known = initial
  let timer: NodeJS.Timeout | undefined
  const watcher = watch(gitDir, { persistent: false }, (_event, file) => {
    if (file !== 'HEAD') return
    clearTimeout(timer)
    timer = setTimeout(() => {
      void currentBranch(gitDir).then((branch) => {
        if (branch === known) return
        known = branch
        onChange(branch)
      })
    }, 25)
  })
  watcher.on('close', () => clearTimeout(timer))
  watcher.on('error', () => watcher.close())
  return watcher
}
