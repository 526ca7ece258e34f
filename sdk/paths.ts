// Path checks for code that must stay inside a project (tools, routes, plugins).
import { realpathSync } from 'node:fs'
import { realpath } from 'node:fs/promises'
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path'

/** True when `path` is `root` or lies under it (both absolute, compared as written). */
export function contains(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + sep) && !isAbsolute(rel))
}

/** The real path (symlinks followed) of `path`, or of its nearest existing ancestor plus the rest. */
export async function realish(path: string): Promise<string> {
  try {
    return await realpath(path)
  } catch {
    const parent = dirname(path)
    if (parent === path) return path
    return resolve(await realish(parent), relative(parent, path))
  }
}

/**
 * Whether `path` exists and, symlinks followed, lies inside one of `roots` (themselves compared
 * by their real paths): for a project, its worktree and directory.
 */
export function realPathInside(path: string, roots: readonly string[]): boolean {
  let real: string
  try {
    real = realpathSync(path)
  } catch {
    return false
  }
  return roots.some((root) => {
    try {
      return contains(realpathSync(root), real)
    } catch {
      return false
    }
  })
}
