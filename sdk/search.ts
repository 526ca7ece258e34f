import { spawn } from 'node:child_process'
import { close, constants, fstat, open as openFile, read } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import type { Ignore } from 'ignore'
import { findExecutable } from './executable.js'

/** Where to search and with which environment (its PATH decides whether `rg` is used). */
export interface SearchRoot {
  /** Absolute directory; results are relative to it, with `/` separators. */
  root: string
  env: NodeJS.ProcessEnv
  signal?: AbortSignal
}

/** One matching line, in the shape of ripgrep's JSON `match` data. */
export interface TextMatch {
  /** Relative to the root. */
  path: string
  lineNumber: number
  line: string
  /** Byte offset of the line in the file. */
  absoluteOffset: number
  submatches: { text: string; start: number; end: number }[]
}

const MAX_FILE_BYTES = 1024 * 1024

/** Lines of a child's stdout (NUL- or newline-separated), ending when it exits or the signal fires. */
async function* childLines(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  separator: '\n' | '\0',
  signal?: AbortSignal,
): AsyncGenerator<string> {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'ignore'] })
  const kill = () => child.kill('SIGKILL')
  signal?.addEventListener('abort', kill, { once: true })
  try {
    if (separator === '\n') {
      for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) if (line) yield line
    } else {
      let rest = ''
      for await (const chunk of child.stdout) {
        const pieces = (rest + chunk.toString('utf8')).split('\0')
        rest = pieces.pop()!
        for (const piece of pieces) if (piece) yield piece
      }
      if (rest) yield rest
    }
  } finally {
    signal?.removeEventListener('abort', kill)
    if (child.exitCode === null) kill()
  }
}

async function insideGit(root: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  for await (const line of childLines('git', ['rev-parse', '--is-inside-work-tree'], root, env, '\n'))
    return line.trim() === 'true'
  return false
}

// Loaded on first use: start-up should not pay for search code.
type IgnoreFactory = () => Ignore
type GlobCompiler = (glob: string, options: { dot: boolean; basename: boolean }) => (path: string) => boolean
let ignoreModule: Promise<IgnoreFactory> | undefined
let picomatchModule: Promise<GlobCompiler> | undefined
// Both are CommonJS: the function is the module's default export, or the module itself.
const loadIgnore = () =>
  (ignoreModule ??= import('ignore').then((m) => ((m as { default?: unknown }).default ?? m) as IgnoreFactory))
const loadPicomatch = () =>
  (picomatchModule ??= import('picomatch').then((m) => ((m as { default?: unknown }).default ?? m) as GlobCompiler))

/** A walk that applies `.gitignore` files on the way down (outside git, without `rg`). */
async function* walk(
  root: string,
  dir: string,
  rules: { base: string; ignore: Ignore }[],
  signal?: AbortSignal,
): AsyncGenerator<string> {
  if (signal?.aborted) return
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return
  }
  const here = [...rules]
  const gitignore = await readFile(join(dir, '.gitignore'), 'utf8').catch(() => undefined)
  if (gitignore !== undefined) {
    const ignore = await loadIgnore()
    here.push({ base: dir, ignore: ignore().add(gitignore) })
  }
  const ignored = (path: string, isDir: boolean) =>
    here.some((rule) => {
      const rel = relative(rule.base, path).split(sep).join('/')
      return rel !== '' && rule.ignore.ignores(isDir ? rel + '/' : rel)
    })
  entries.sort((a, b) => a.name.localeCompare(b.name))
  for (const entry of entries) {
    if (entry.name === '.git') continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (!ignored(path, true)) yield* walk(root, path, here, signal)
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      if (!ignored(path, false)) yield relative(root, path).split(sep).join('/')
    }
  }
}

/**
 * Files under the root that `.gitignore` does not exclude (hidden files included, `.git` never):
 * `rg --files` when ripgrep is on PATH, else `git ls-files` inside a repository, else a walk
 * applying `.gitignore` files.
 */
export async function* listFiles(options: SearchRoot): AsyncGenerator<string> {
  const { root, env, signal } = options
  const rg = findExecutable('rg', { directory: root, worktree: root, env })
  if (rg) {
    yield* childLines(
      rg,
      ['--files', '--hidden', '--glob', '!.git/', '--no-messages', '--null'],
      root,
      env,
      '\0',
      signal,
    )
    return
  }
  if (await insideGit(root, env)) {
    yield* childLines(
      'git',
      ['-c', 'core.quotepath=false', 'ls-files', '--cached', '--others', '--exclude-standard', '--deduplicate', '-z'],
      root,
      env,
      '\0',
      signal,
    )
    return
  }
  yield* walk(root, root, [], signal)
}

/** A matcher for file globs; patterns without `/` match the file name at any depth. */
export async function globMatcher(pattern: string): Promise<(path: string) => boolean> {
  const picomatch = await loadPicomatch()
  const match = picomatch(pattern, { dot: true, basename: !pattern.includes('/') })
  return (path) => match(path)
}

/** Files read at once while searching: the reads overlap, results keep the listing's order. */
const SEARCH_CONCURRENCY = 32

// Callback `fs` wrapped once: for many small files it is several times faster than `fs/promises`.
const openFd = promisify(openFile)
const fstatFd = promisify(fstat)
const readFd = promisify(read)
const closeFd = promisify(close)

/**
 * The bytes of a regular file of at most `maxBytes`, else undefined. One open serves the check
 * and the read; O_NONBLOCK keeps a FIFO from blocking the open.
 */
async function readSmallFile(path: string, maxBytes: number): Promise<Buffer | undefined> {
  const fd = await openFd(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  try {
    const info = await fstatFd(fd)
    if (!info.isFile() || info.size > maxBytes) return undefined
    const buffer = Buffer.allocUnsafe(info.size)
    let total = 0
    while (total < info.size) {
      const { bytesRead } = await readFd(fd, buffer, total, info.size - total, total)
      if (bytesRead === 0) break
      total += bytesRead
    }
    return buffer.subarray(0, total)
  } finally {
    await closeFd(fd)
  }
}

/**
 * Lines matching a regular expression in the files `listFiles` yields (optionally only those
 * matching `include` and passing `accept`), stopping at `limit` matches; binary and large files
 * are skipped. An invalid pattern throws.
 */
export async function searchText(
  options: SearchRoot & {
    pattern: string
    include?: string
    limit: number
    /** Reads a file only when this accepts its absolute path (e.g. to skip symlinks leading out of the project). */
    accept?: (path: string) => boolean | Promise<boolean>
  },
): Promise<{ matches: TextMatch[]; truncated: boolean }> {
  let regex: RegExp
  try {
    regex = new RegExp(options.pattern, 'g')
  } catch (error) {
    throw new Error(`Invalid regular expression: ${(error as Error).message}`, { cause: error })
  }
  const include = options.include ? await globMatcher(options.include) : undefined

  // Reads one file and returns its matching lines; the matching itself is synchronous, so the
  // shared regex is never used by two files at once.
  const scan = async (file: string): Promise<TextMatch[]> => {
    const path = join(options.root, file)
    let bytes: Buffer | undefined
    try {
      if (options.accept && !(await options.accept(path))) return []
      bytes = await readSmallFile(path, MAX_FILE_BYTES)
    } catch {
      return []
    }
    if (!bytes || bytes.subarray(0, 8192).includes(0)) return []
    const found: TextMatch[] = []
    let offset = 0
    const lines = bytes.toString('utf8').split('\n')
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!
      regex.lastIndex = 0
      const submatches: TextMatch['submatches'] = []
      for (let m = regex.exec(line); m; m = regex.exec(line)) {
        submatches.push({ text: m[0], start: m.index, end: m.index + m[0].length })
        if (m[0] === '') regex.lastIndex++
      }
      if (submatches.length) {
        found.push({ path: file, lineNumber: i + 1, line, absoluteOffset: offset, submatches })
        if (found.length >= options.limit) break
      }
      offset += Buffer.byteLength(line) + 1
    }
    return found
  }

  const matches: TextMatch[] = []
  const pending: Promise<TextMatch[]>[] = []
  // Takes the oldest file's matches; true once the limit is reached.
  const takeOldest = async (): Promise<boolean> => {
    for (const match of await pending.shift()!) {
      matches.push(match)
      if (matches.length >= options.limit) return true
    }
    return false
  }
  for await (const file of listFiles(options)) {
    if (options.signal?.aborted) break
    if (include && !include(file)) continue
    pending.push(scan(file))
    if (pending.length >= SEARCH_CONCURRENCY && (await takeOldest())) return { matches, truncated: true }
  }
  while (pending.length > 0) if (await takeOldest()) return { matches, truncated: true }
  return { matches, truncated: false }
}
