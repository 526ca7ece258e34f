import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'

/** Where to look for a program: the project (its node_modules/.bin) and the server's PATH. */
export interface SearchScope {
  directory: string
  worktree: string
  env: NodeJS.ProcessEnv
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

function candidates(file: string, env: NodeJS.ProcessEnv): string[] {
  if (process.platform !== 'win32') return [file]
  const extensions = (env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean)
  return [file, ...extensions.map((extension) => file + extension)]
}

/** `node_modules/.bin` of the directory and each parent up to the worktree, nearest first. */
function nodeBins(directory: string, worktree: string): string[] {
  const rel = relative(worktree, directory)
  const inside = !isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`)
  const bins: string[] = []
  let current = directory
  for (;;) {
    bins.push(join(current, 'node_modules', '.bin'))
    if (!inside || current === worktree) return bins
    const parent = dirname(current)
    if (parent === current) return bins
    current = parent
  }
}

/**
 * The file `program` would run: a path (relative to the directory), else the project's
 * node_modules/.bin (node tools are often installed there), else PATH. Undefined when absent.
 */
export function findExecutable(program: string, scope: SearchScope): string | undefined {
  if (program === '') return undefined
  const found = (file: string) => candidates(file, scope.env).find(isExecutable)
  if (program.includes('/') || program.includes('\\'))
    return found(isAbsolute(program) ? program : resolve(scope.directory, program))
  const dirs = [
    ...nodeBins(scope.directory, scope.worktree),
    ...(scope.env.PATH ?? '').split(delimiter).filter(Boolean),
  ]
  for (const dir of dirs) {
    const file = found(join(dir, program))
    if (file) return file
  }
  return undefined
}
