import { BadRequestError, ForbiddenError, NotFoundError, type Instance } from '../../sdk/index.js'
import { realpath } from 'node:fs/promises'
import { relative, resolve, sep } from 'node:path'
import { contains, realish } from '../../sdk/paths.js'

export { contains, realish }

/** `path` relative to `from`, with `/` separators. */
export function relativePath(from: string, path: string): string {
  return relative(from, path).split(sep).join('/')
}

/** The directories a request may reach, symlinks followed: the worktree and the instance directory. */
export interface ProjectRoots {
  worktree: string
  directory: string
}

export async function projectRoots(instance: Instance): Promise<ProjectRoots> {
  const [worktree, directory] = await Promise.all([realish(instance.worktree), realish(instance.directory)])
  return { worktree, directory }
}

/** True when a real (symlinks followed) path lies inside the project. */
export function insideProject(roots: ProjectRoots, real: string): boolean {
  return contains(roots.worktree, real) || contains(roots.directory, real)
}

export interface ProjectPath {
  /** Resolved against the instance directory, symlinks kept (what clients see). */
  absolute: string
  /** Symlinks followed; inside one of the roots. */
  real: string
}

export function outsideError(given: string): ForbiddenError {
  return new ForbiddenError(`Access denied: path is outside the project: ${given}`)
}

/**
 * Resolves a path a client gave against the instance directory. Anything that leads out of the
 * project (`..`, an absolute path elsewhere, a symlink whose target is elsewhere) is a 403 before
 * the file system is asked whether it exists; a missing path inside is a 404.
 */
export async function resolveProjectPath(instance: Instance, roots: ProjectRoots, given: string): Promise<ProjectPath> {
  if (given.includes('\0')) throw new BadRequestError('path must not contain NUL characters', 'Query')
  const absolute = resolve(instance.directory, given)
  const lexicalRoots = [instance.worktree, instance.directory, roots.worktree, roots.directory]
  if (!lexicalRoots.some((root) => contains(root, absolute))) throw outsideError(given)
  let real: string
  try {
    real = await realpath(absolute)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENAMETOOLONG') {
      // A missing path under a symlink that leads out must not reveal what exists out there.
      const nearest = await realish(absolute)
      if (!insideProject(roots, nearest)) throw outsideError(given)
      throw new NotFoundError(`File not found: ${given}`)
    }
    if (code === 'EACCES' || code === 'EPERM') throw new ForbiddenError(`Permission denied: ${given}`)
    throw error
  }
  if (!insideProject(roots, real)) throw outsideError(given)
  return { absolute, real }
}
