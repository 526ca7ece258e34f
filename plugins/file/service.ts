import type { FileKernel } from './index.js'
import { BadRequestError, type Instance } from '../../sdk/index.js'
import { lstat as lstatCallback } from 'node:fs'
import { lstat, open, readdir, readFile, realpath, stat } from 'node:fs/promises'
import { dirname, join, parse, posix, relative, sep } from 'node:path'
import { promisify } from 'node:util'
import type { Static } from 'typebox'
import type { Ignore } from 'ignore'
import { listFiles, searchText, type TextMatch } from '../../sdk/search.js'
import { binaryMimeType, decodeText, utf8Offset } from './content.js'
import { firstPaths, parseQuery, rankPaths } from './fuzzy.js'
import { openProjectFile, writeProjectFile, type OpenedFile } from './raw-files.js'
import { nulRecords, runGit } from './git.js'
import { contains, insideProject, projectRoots, relativePath, resolveProjectPath, type ProjectRoots } from './paths.js'
import type { FileContent, FileInfo, FileNode, FindMatch } from './schemas.js'

/** `GET /find` answers at most this many matching lines (OpenCode's own route stops at 10). */
const FIND_TEXT_LIMIT = 100
/** `GET /find` gives up after this long and answers what it found. */
const FIND_TEXT_TIME_MS = 10_000
/** `GET /find/file` without `limit`, as OpenCode. */
const FIND_FILES_DEFAULT_LIMIT = 10
/** The name index stops here, so a huge tree cannot exhaust memory. */
const MAX_INDEXED_FILES = 200_000
/** How long a name index is reused; `file.edited` drops it at once. */
const INDEX_TTL_MS = 2_000
/** `GET /file/content` refuses bigger files (400). */
const MAX_CONTENT_BYTES = 10 * 1024 * 1024
/** Text files up to this size get `diff`/`patch` against HEAD; the diff runs off the event loop for at most DIFF_TIME_MS. */
const MAX_DIFF_BYTES = 1024 * 1024
const DIFF_TIME_MS = 2_000
/** Entries never listed by `GET /file`, as in OpenCode. */
const HIDDEN_ENTRIES = new Set(['.git', '.DS_Store'])

type Match = Static<typeof FindMatch>
type Node = Static<typeof FileNode>
type Content = Static<typeof FileContent>
type Info = Static<typeof FileInfo>

interface NameIndex {
  files: string[]
  dirs: string[]
  lowerFiles: string[]
  lowerDirs: string[]
}

interface FileState {
  roots: Promise<ProjectRoots>
  index?: { value: Promise<NameIndex>; builtAt?: number }
  /** Aborted on dispose: stops a listing still running. */
  controller: AbortController
  unsubscribe: () => void
}

export interface FindFilesInput {
  query: string
  dirs?: 'true' | 'false'
  type?: 'file' | 'directory'
  limit?: number
}

// Loaded on first use, like the searcher's own copy: start-up does not pay for it.
type IgnoreFactory = () => Ignore
let ignoreModule: Promise<IgnoreFactory> | undefined
const loadIgnore = () =>
  (ignoreModule ??= import('ignore').then((m) => ((m as { default?: unknown }).default ?? m) as IgnoreFactory))
let diffModule: Promise<typeof import('diff')> | undefined
const loadDiff = () => (diffModule ??= import('diff'))

function toRipgrepMatch(match: TextMatch): Match {
  return {
    path: { text: match.path },
    // ripgrep's `lines.text` keeps the line terminator; its offsets count UTF-8 bytes.
    lines: { text: match.line + '\n' },
    line_number: match.lineNumber,
    absolute_offset: match.absoluteOffset,
    submatches: match.submatches.map((sub) => ({
      match: { text: sub.text },
      start: utf8Offset(match.line, sub.start),
      end: utf8Offset(match.line, sub.end),
    })),
  }
}

// The callback form is markedly faster than `fs/promises` when called for every file of a tree.
const lstatQuick = promisify(lstatCallback)

/**
 * A filter for the searcher that reads only files whose real path is inside the project: a
 * symlink (or a followed symlinked folder) leading elsewhere is skipped, never read.
 */
function confinedTo(roots: ProjectRoots): (path: string) => Promise<boolean> {
  const folders = new Map<string, Promise<boolean>>()
  return async (path) => {
    const folder = dirname(path)
    let inside = folders.get(folder)
    if (!inside) {
      inside = realpath(folder).then(
        (real) => insideProject(roots, real),
        () => false,
      )
      folders.set(folder, inside)
    }
    if (!(await inside)) return false
    const info = await lstatQuick(path).catch(() => undefined)
    if (!info) return false
    if (!info.isSymbolicLink()) return true
    const real = await realpath(path).catch(() => undefined)
    return real !== undefined && insideProject(roots, real)
  }
}

/** Lines in a file as `git diff --numstat` counts them; 0 for binary content. Symlinks are not followed. */
async function countLines(path: string): Promise<number> {
  const info = await lstat(path).catch(() => undefined)
  if (!info) return 0
  if (info.isSymbolicLink()) return 1 // git stores the target path: one line
  if (!info.isFile()) return 0
  const handle = await open(path, 'r').catch(() => undefined)
  if (!handle) return 0
  try {
    const buffer = Buffer.alloc(64 * 1024)
    let lines = 0
    let last = 0x0a
    let first = true
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null)
      if (bytesRead === 0) break
      const chunk = buffer.subarray(0, bytesRead)
      if (first && chunk.includes(0)) return 0
      first = false
      for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++
      last = chunk[bytesRead - 1]!
    }
    return last === 0x0a ? lines : lines + 1
  } finally {
    await handle.close()
  }
}

/** A server started in `/` is no project: its searches would walk the whole machine (OpenCode skips them too). */
function isFileSystemRoot(directory: string): boolean {
  return parse(directory).root === directory
}

/** Runs `work` over `items` with at most `limit` at a time. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await work(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/** The logic behind the file routes, testable without HTTP. */
export class FileService {
  constructor(private readonly kernel: FileKernel) {}

  private state(instance: Instance): FileState {
    return instance.state<FileState>(
      'file',
      (instance) => {
        const entry: FileState = {
          roots: projectRoots(instance),
          controller: new AbortController(),
          unsubscribe: () => {},
        }
        entry.unsubscribe = this.kernel.bus.subscribe((event) => {
          const type = event.payload.type
          if (type === 'file.edited' || type === 'file.watcher.updated') entry.index = undefined
        }, instance.directory)
        return entry
      },
      (entry) => {
        entry.unsubscribe()
        entry.controller.abort()
      },
    )
  }

  roots(instance: Instance): Promise<ProjectRoots> {
    return this.state(instance).roots
  }

  /** Lines matching `pattern` (a JavaScript regular expression) in the files `.gitignore` keeps. */
  async findText(instance: Instance, pattern: string, signal?: AbortSignal): Promise<Match[]> {
    try {
      new RegExp(pattern)
    } catch (error) {
      throw new BadRequestError((error as Error).message, 'Query')
    }
    if (isFileSystemRoot(instance.directory)) return []
    const roots = await this.roots(instance)
    const signals = [AbortSignal.timeout(FIND_TEXT_TIME_MS), this.state(instance).controller.signal]
    const { matches } = await searchText({
      root: instance.directory,
      env: this.kernel.env,
      signal: AbortSignal.any(signal ? [...signals, signal] : signals),
      pattern,
      limit: FIND_TEXT_LIMIT,
      accept: confinedTo(roots),
    })
    return matches.map(toRipgrepMatch)
  }

  /** Files and directories (`dir/`) whose path fuzzily matches `query`, best first. */
  async findFiles(instance: Instance, input: FindFilesInput): Promise<string[]> {
    const kind = input.type ?? (input.dirs === 'false' ? 'file' : 'all')
    const limit = input.limit ?? FIND_FILES_DEFAULT_LIMIT
    const index = await this.nameIndex(instance)
    const query = parseQuery(input.query)
    // Without a query OpenCode lists files for `file`, otherwise directories.
    if (query.terms.length === 0) return firstPaths(kind === 'file' ? index.files : index.dirs, limit)
    const sources = []
    if (kind !== 'directory') sources.push({ paths: index.files, lower: index.lowerFiles })
    if (kind !== 'file') sources.push({ paths: index.dirs, lower: index.lowerDirs })
    return rankPaths(query, sources, limit)
  }

  private nameIndex(instance: Instance): Promise<NameIndex> {
    const entry = this.state(instance)
    const current = entry.index
    if (current && (current.builtAt === undefined || Date.now() - current.builtAt <= INDEX_TTL_MS)) return current.value
    const next: NonNullable<FileState['index']> = { value: this.buildIndex(instance, entry.controller.signal) }
    entry.index = next
    next.value.then(
      () => (next.builtAt = Date.now()),
      () => {
        if (entry.index === next) entry.index = undefined
      },
    )
    return next.value
  }

  private async buildIndex(instance: Instance, signal: AbortSignal): Promise<NameIndex> {
    const files: string[] = []
    const dirs = new Set<string>()
    if (isFileSystemRoot(instance.directory)) return { files, dirs: [], lowerFiles: [], lowerDirs: [] }
    for await (const file of listFiles({ root: instance.directory, env: this.kernel.env, signal })) {
      files.push(file)
      for (let dir = posix.dirname(file); dir !== '.' && dir !== '/' && !dirs.has(dir + '/'); dir = posix.dirname(dir))
        dirs.add(dir + '/')
      if (files.length >= MAX_INDEXED_FILES) break
    }
    const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
    files.sort(byCodePoint)
    const dirList = [...dirs].sort(byCodePoint)
    return {
      files,
      dirs: dirList,
      lowerFiles: files.map((f) => f.toLowerCase()),
      lowerDirs: dirList.map((d) => d.toLowerCase()),
    }
  }

  /**
   * The entries of a directory inside the project: directories first, then by name. `.git` and
   * `.DS_Store` are left out unless `all` (OpenCode's `/api/fs/list` shows them).
   */
  async list(instance: Instance, given: string, { all = false }: { all?: boolean } = {}): Promise<Node[]> {
    const roots = await this.roots(instance)
    const target = await resolveProjectPath(instance, roots, given)
    if (!(await stat(target.real)).isDirectory()) throw new BadRequestError(`Not a directory: ${given}`)
    const entries = (await readdir(target.real, { withFileTypes: true })).filter(
      (entry) => all || !HIDDEN_ENTRIES.has(entry.name),
    )
    const nodes = await Promise.all(
      entries.map(async (entry): Promise<Node> => {
        const absolute = join(target.absolute, entry.name)
        let directory = entry.isDirectory()
        if (entry.isSymbolicLink()) {
          // Only a link that stays inside the project is looked through.
          const real = await realpath(join(target.real, entry.name)).catch(() => undefined)
          directory =
            real !== undefined &&
            insideProject(roots, real) &&
            (await stat(real).catch(() => undefined))?.isDirectory() === true
        }
        return {
          name: entry.name,
          path: relativePath(instance.directory, absolute),
          absolute,
          type: directory ? 'directory' : 'file',
          ignored: false,
        }
      }),
    )
    const ignored = await this.ignoredNames(instance, roots, target.real, nodes)
    for (const node of nodes) node.ignored = ignored.has(node.name)
    return nodes.sort((a, b) => (a.type !== b.type ? (a.type === 'directory' ? -1 : 1) : a.name.localeCompare(b.name)))
  }

  /** Names in `folder` that `.gitignore` excludes: git's own answer in a repository, else the `.gitignore` files from the worktree down. */
  private async ignoredNames(
    instance: Instance,
    roots: ProjectRoots,
    folder: string,
    nodes: readonly Node[],
  ): Promise<Set<string>> {
    if (nodes.length === 0) return new Set()
    if (instance.project.vcs === 'git') {
      const result = await runGit(['check-ignore', '-z', '--stdin'], {
        cwd: folder,
        env: this.kernel.env,
        input: nodes.map((node) => node.name).join('\0') + '\0',
      })
      // 0: some are ignored, 1: none; anything else (no git, not a work tree) falls back to the files.
      if (result.code === 0 || result.code === 1) return new Set(nulRecords(result.stdout))
    }
    const ignore = await loadIgnore()
    const base = contains(roots.worktree, folder) ? roots.worktree : roots.directory
    const folders = [base]
    for (const step of relative(base, folder).split(sep).filter(Boolean))
      folders.push(join(folders[folders.length - 1]!, step))
    const rules: { base: string; ignore: Ignore }[] = []
    for (const dir of folders) {
      const text = await readFile(join(dir, '.gitignore'), 'utf8').catch(() => undefined)
      if (text !== undefined) rules.push({ base: dir, ignore: ignore().add(text) })
    }
    const ignored = new Set<string>()
    for (const node of nodes) {
      const path = join(folder, node.name)
      const hit = rules.some((rule) => {
        const rel = relativePath(rule.base, path)
        return rule.ignore.ignores(node.type === 'directory' ? rel + '/' : rel)
      })
      if (hit) ignored.add(node.name)
    }
    return ignored
  }

  /** A file's content: text, or base64 for binary; a changed text file also gets its diff against HEAD. */
  async read(instance: Instance, given: string): Promise<Content> {
    const roots = await this.roots(instance)
    const { bytes, real } = await this.readInside(instance, roots, given)
    const text = decodeText(bytes)
    if (text === undefined)
      return { type: 'binary', content: bytes.toString('base64'), encoding: 'base64', mimeType: binaryMimeType(real) }
    const content: Content = { type: 'text', content: text }
    if (instance.project.vcs === 'git' && bytes.length <= MAX_DIFF_BYTES && contains(roots.worktree, real)) {
      Object.assign(content, await this.diffAgainstHead(roots, real, text))
    }
    return content
  }

  /** A regular file's bytes, with the same confinement and limits as `read`. */
  async readBytes(instance: Instance, given: string): Promise<{ bytes: Buffer; real: string }> {
    return this.readInside(instance, await this.roots(instance), given)
  }

  /** A regular file of the project opened for reading (the caller closes it), with no size limit. */
  async open(instance: Instance, given: string): Promise<OpenedFile> {
    return openProjectFile(instance, await this.roots(instance), given)
  }

  /** Writes a file of the project, creating its parents; its absolute path. See `writeProjectFile`. */
  async write(instance: Instance, given: string, bytes: Buffer): Promise<string> {
    const path = await writeProjectFile(instance, await this.roots(instance), given, bytes)
    const state = this.state(instance)
    state.index = undefined
    return path
  }

  private async readInside(
    instance: Instance,
    roots: ProjectRoots,
    given: string,
  ): Promise<{ bytes: Buffer; real: string }> {
    const { handle, real, size } = await openProjectFile(instance, roots, given)
    try {
      if (size > MAX_CONTENT_BYTES) {
        throw new BadRequestError(
          `File too large: ${given} is ${(size / 1024 / 1024).toFixed(1)} MB; the limit is ${MAX_CONTENT_BYTES / 1024 / 1024} MB`,
        )
      }
      return { bytes: await handle.readFile(), real }
    } finally {
      await handle.close()
    }
  }

  private async diffAgainstHead(
    roots: ProjectRoots,
    real: string,
    text: string,
  ): Promise<Pick<Content, 'diff' | 'patch'>> {
    const repoPath = relativePath(roots.worktree, real)
    const original = await runGit(['cat-file', 'blob', `HEAD:${repoPath}`], {
      cwd: roots.worktree,
      env: this.kernel.env,
    })
    // Not in HEAD (new, untracked, no commit yet): nothing to compare with.
    if (original.code !== 0) return {}
    const before = original.stdout.replace(/^\uFEFF/, '')
    if (before === text) return {}
    const { structuredPatch, formatPatch } = await loadDiff()
    const patch = await new Promise<ReturnType<typeof structuredPatch> | undefined>((resolve) => {
      structuredPatch(repoPath, repoPath, before, text, 'old', 'new', {
        context: Number.MAX_SAFE_INTEGER,
        timeout: DIFF_TIME_MS,
        callback: resolve,
      })
    })
    if (!patch) return {}
    return { diff: formatPatch(patch), patch }
  }

  /** Changed files against HEAD: tracked changes with `git diff --numstat`, untracked files counted as added lines. */
  async status(instance: Instance): Promise<Info[]> {
    if (instance.project.vcs !== 'git') return []
    const roots = await this.roots(instance)
    const options = { cwd: roots.worktree, env: this.kernel.env }
    const status = await runGit(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames'], options)
    if (status.code !== 0) return []
    const entries = nulRecords(status.stdout).map((record) => ({ code: record.slice(0, 2), path: record.slice(3) }))
    if (entries.length === 0) return []

    const head = await runGit(['rev-parse', '--verify', '--quiet', 'HEAD'], options)
    // Before the first commit, compare with the empty tree.
    const base =
      head.code === 0 ? 'HEAD' : (await runGit(['hash-object', '-t', 'tree', '/dev/null'], options)).stdout.trim()
    const numstat = await runGit(['diff', '--numstat', '-z', '--no-renames', base, '--'], options)
    const counts = new Map<string, { added: number; removed: number }>()
    for (const record of nulRecords(numstat.stdout)) {
      const [added, removed, ...rest] = record.split('\t')
      counts.set(rest.join('\t'), {
        added: Number.parseInt(added!, 10) || 0,
        removed: Number.parseInt(removed!, 10) || 0,
      })
    }

    const files: Info[] = []
    const untracked: { info: Info; path: string }[] = []
    for (const { code, path } of entries) {
      if (code === '!!') continue
      const [index, worktree] = [code[0], code[1]]
      let status: Info['status']
      if (code === '??') status = 'added'
      else if (index === 'A' && worktree === 'D')
        continue // added, then deleted: nothing changed against HEAD
      else if (index === 'D' || worktree === 'D') status = 'deleted'
      else if (index === 'A') status = 'added'
      else status = 'modified'
      const info: Info = {
        path: relativePath(roots.directory, join(roots.worktree, path)),
        added: 0,
        removed: 0,
        status,
        ...counts.get(path),
      }
      files.push(info)
      if (code === '??') untracked.push({ info, path })
    }
    await forEachLimited(untracked, 16, async ({ info, path }) => {
      info.added = await countLines(join(roots.worktree, path))
    })
    return files
  }
}
