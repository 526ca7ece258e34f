// Opening and writing one file of the project for the byte-level routes (`GET /api/fs/read/*`,
// `POST /api/experimental/fs/write`), with the same confinement as every other file route.
import { constants } from 'node:fs'
import { lstat, mkdir, open, readlink, realpath, type FileHandle } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { BadRequestError, ForbiddenError, type Instance } from '../../sdk/index.js'
import { contains, insideProject, outsideError, resolveProjectPath, type ProjectRoots } from './paths.js'

/** A regular file opened for reading; the caller closes `handle`. */
export interface OpenedFile {
  handle: FileHandle
  /** Symlinks followed. */
  real: string
  size: number
  mtime: Date
}

/** Refuses a handle whose file is not inside the project (a path swapped for a symlink after the check). */
async function checkOpened(handle: FileHandle, roots: ProjectRoots, given: string): Promise<void> {
  const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined)
  if (opened !== undefined && opened.startsWith('/') && !insideProject(roots, opened)) throw outsideError(given)
}

/**
 * Opens a regular file of the project for reading. 403 outside the project, 404 missing, 400 for
 * a directory or anything that is not a regular file (a FIFO is opened without waiting for a writer).
 */
export async function openProjectFile(instance: Instance, roots: ProjectRoots, given: string): Promise<OpenedFile> {
  const target = await resolveProjectPath(instance, roots, given)
  const handle = await open(target.real, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  try {
    await checkOpened(handle, roots, given)
    const info = await handle.stat()
    if (info.isDirectory()) throw new BadRequestError(`Is a directory: ${given}`)
    if (!info.isFile()) throw new BadRequestError(`Not a regular file: ${given}`)
    return { handle, real: target.real, size: info.size, mtime: info.mtime }
  } catch (error) {
    await handle.close()
    throw error
  }
}

const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | (constants.O_NONBLOCK ?? 0)

/** Replaces the content of the regular file `target` (created when missing); never follows a symlink. */
async function writeRegularFile(target: string, roots: ProjectRoots, given: string, bytes: Buffer): Promise<void> {
  let handle: FileHandle
  try {
    handle = await open(target, WRITE_FLAGS, 0o644)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // ELOOP: swapped for a symlink since the check; ENXIO: a FIFO nobody reads.
    if (code === 'ELOOP') throw outsideError(given)
    if (code === 'ENXIO' || code === 'EISDIR') throw new BadRequestError(`Not a regular file: ${given}`)
    throw error
  }
  try {
    await checkOpened(handle, roots, given)
    if (!(await handle.stat()).isFile()) throw new BadRequestError(`Not a regular file: ${given}`)
    await handle.truncate(0)
    await handle.write(bytes, 0, bytes.length, 0)
  } finally {
    await handle.close()
  }
}

/** The real path of the nearest existing ancestor of `path` (itself when it exists). */
async function nearestExisting(path: string): Promise<string> {
  for (let current = path; ; current = dirname(current)) {
    try {
      return await realpath(current)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(current) === current) throw error
    }
  }
}

/**
 * Writes `bytes` to a file of the project (created, or truncated), creating missing parent
 * directories. Anything leading out of the project (`..`, an absolute path elsewhere, a symlink
 * whose target is elsewhere) is a 403 before anything is created. Returns the absolute path as
 * resolved against the instance directory (symlinks kept).
 */
export async function writeProjectFile(
  instance: Instance,
  roots: ProjectRoots,
  given: string,
  bytes: Buffer,
): Promise<string> {
  try {
    return await writeInside(instance, roots, given, bytes)
  } catch (error) {
    throw clientError(error, given)
  }
}

/** File-system refusals a client caused, as 4xx; anything else unchanged (the disk full is the kernel's 507). */
function clientError(error: unknown, given: string): unknown {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOTDIR':
    case 'EEXIST':
      return new BadRequestError(`A parent of ${given} is not a directory`)
    case 'ENAMETOOLONG':
      return new BadRequestError(`Path too long: ${given.slice(0, 200)}`)
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new ForbiddenError(`Permission denied: ${given}`)
    default:
      return error
  }
}

async function writeInside(instance: Instance, roots: ProjectRoots, given: string, bytes: Buffer): Promise<string> {
  if (given.includes('\0')) throw new BadRequestError('path must not contain NUL characters', 'Query')
  const absolute = resolve(instance.directory, given)
  const lexicalRoots = [instance.worktree, instance.directory, roots.worktree, roots.directory]
  if (!lexicalRoots.some((root) => contains(root, absolute))) throw outsideError(given)
  if (!insideProject(roots, await nearestExisting(absolute))) throw outsideError(given)
  const existing = await lstat(absolute).catch(() => undefined)
  if (existing?.isDirectory()) throw new BadRequestError(`Is a directory: ${given}`)
  // A symlink is written through only when it leads to a file inside (a dangling one would create its target).
  const target = existing?.isSymbolicLink() ? await realpath(absolute).catch(() => undefined) : absolute
  if (target === undefined || !insideProject(roots, await nearestExisting(target))) throw outsideError(given)
  await mkdir(dirname(target), { recursive: true })
  // Checked again once the parents exist: one of them may have been swapped for a symlink meanwhile.
  if (!insideProject(roots, await realpath(dirname(target)))) throw outsideError(given)
  await writeRegularFile(target, roots, given, bytes)
  return absolute
}
