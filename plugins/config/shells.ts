import { accessSync, constants, readFileSync, statSync } from 'node:fs'
import { basename, delimiter, isAbsolute, join } from 'node:path'

export interface ShellOption {
  path: string
  name: string
  /** Whether commands can be run with it (`-c`, POSIX quoting): not fish or nu, as in OpenCode. */
  acceptable: boolean
}

const UNACCEPTABLE = new Set(['fish', 'nu'])
/** Looked up on PATH when the system has no `/etc/shells`. */
const COMMON_SHELLS = ['bash', 'zsh', 'sh', 'dash', 'ksh', 'fish', 'nu']

/** An executable regular file (symlinks followed). */
export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

function option(path: string): ShellOption {
  const name = basename(path)
  return { path, name, acceptable: !UNACCEPTABLE.has(name) }
}

/**
 * The shells on this machine: `/etc/shells` (its order, absent or non-executable entries
 * skipped), else the common shells found on PATH.
 */
export function availableShells(env: NodeJS.ProcessEnv, shellsFile = '/etc/shells'): ShellOption[] {
  let listed: string[]
  try {
    listed = readFileSync(shellsFile, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#') && isAbsolute(line))
  } catch {
    const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean)
    listed = COMMON_SHELLS.flatMap((name) => dirs.map((dir) => join(dir, name)).find(isExecutableFile) ?? [])
  }
  return [...new Set(listed)].filter(isExecutableFile).map(option)
}
