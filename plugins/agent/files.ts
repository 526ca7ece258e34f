// Finding agent, command and skill files, and a cheap fingerprint of them so that the parsed
// result is reused until a file is added, removed or changed.
import { readdirSync, statSync, type Dirent } from 'node:fs'
import { isAbsolute, join, relative, sep } from 'node:path'

/** A file found under one of the searched roots. */
export interface FoundFile {
  /** Absolute path. */
  path: string
  /** Path below the root, `/`-separated (`nested/deep.md`). */
  relative: string
  /** Changes whenever the file is replaced or edited. */
  stamp: string
}

/** The directories from `worktree` down to `directory`, outermost first (deeper ones win). */
export function projectDirectories(worktree: string, directory: string): string[] {
  const rel = relative(worktree, directory)
  if (rel === '') return [directory]
  if (rel.startsWith('..') || isAbsolute(rel)) return [directory]
  const dirs = [worktree]
  let current = worktree
  for (const segment of rel.split(sep).filter(Boolean)) {
    current = join(current, segment)
    dirs.push(current)
  }
  return dirs
}

// Skills and commands never sit this deep; the limit also stops symlink loops.
const MAX_DEPTH = 6
const SKIPPED = new Set(['node_modules', '.git'])

/**
 * Files below each root (in root order, then path order) whose name passes `accept`. Missing
 * roots are skipped; unreadable entries are ignored.
 */
// Synchronous on purpose: a few dozen readdir/stat calls take ~0.2 ms this way and ~8 times
// longer through the thread pool, and this runs on every lookup to check the cache.
export function findFiles(roots: readonly string[], accept: (name: string) => boolean): FoundFile[] {
  const found: FoundFile[] = []
  for (const root of roots) walk(root, '', 0, accept, found)
  return found
}

function walk(root: string, below: string, depth: number, accept: (name: string) => boolean, found: FoundFile[]): void {
  let entries: Dirent[]
  try {
    entries = readdirSync(below ? join(root, below) : root, { withFileTypes: true })
  } catch {
    return
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of entries) {
    const relativePath = below ? `${below}/${entry.name}` : entry.name
    const path = join(root, relativePath)
    let isDirectory = entry.isDirectory()
    let isFile = entry.isFile()
    if (entry.isSymbolicLink()) {
      const target = statSafe(path)
      isDirectory = target?.isDirectory() ?? false
      isFile = target?.isFile() ?? false
    }
    if (isDirectory) {
      if (depth < MAX_DEPTH && !SKIPPED.has(entry.name)) walk(root, relativePath, depth + 1, accept, found)
    } else if (isFile && accept(entry.name)) {
      const info = statSafe(path)
      if (info) found.push({ path, relative: relativePath, stamp: `${info.ino}:${info.size}:${info.mtimeMs}` })
    }
  }
}

function statSafe(path: string) {
  try {
    return statSync(path)
  } catch {
    return undefined
  }
}

/** One string that changes when any of `files` is added, removed or changed. */
export function fingerprint(files: readonly FoundFile[]): string {
  return files.map((file) => `${file.path}\0${file.stamp}`).join('\n')
}
