// The working tree's changes, from git: counts per file, per-file patches, one raw patch, and
// applying a patch. Paths are from the repository root; renames are a deletion and an addition.
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nulRecords, runGit } from './git.js'
import { currentBranch } from './service.js'
import { newFile } from './untracked.js'

/** How a file changed: OpenCode's three states. */
export type ChangeStatus = 'added' | 'deleted' | 'modified'

export interface FileStatus {
  file: string
  additions: number
  deletions: number
  status: ChangeStatus
}

export interface FileDiff extends FileStatus {
  /** Absent past `MAX_PATCH_BYTES` of patches in one answer. */
  patch?: string
}

/** What one diff holds in memory: patches past it are left out (the counts stay). */
export const MAX_PATCH_BYTES = 10 * 1024 * 1024

/** Where the changes are read: the repository root, its git directory, and git's environment. */
export interface Repository {
  worktree: string
  gitDir: string
  env: NodeJS.ProcessEnv
}

// Never let the user's config turn a diff into something else: no external diff, no textconv,
// no colour, the usual a/ b/ prefixes, renames split into a deletion and an addition.
const DIFF_FLAGS = [
  '--no-ext-diff',
  '--no-textconv',
  '--no-color',
  '--no-renames',
  '--src-prefix=a/',
  '--dst-prefix=b/',
]
/** Untracked files read at once. */
const READ_CONCURRENCY = 16

const git = (
  repo: Repository,
  args: string[],
  extra: { input?: string; maxBytes?: number; env?: NodeJS.ProcessEnv } = {},
) =>
  runGit(args, { cwd: repo.worktree, env: { ...repo.env, ...extra.env }, input: extra.input, maxBytes: extra.maxBytes })

const byFile = (a: FileStatus, b: FileStatus) => a.file.localeCompare(b.file)
const statusOf = (letter: string): ChangeStatus => (letter === 'A' ? 'added' : letter === 'D' ? 'deleted' : 'modified')

/** The empty tree, which a repository without commits is compared with. */
async function emptyTree(repo: Repository): Promise<string> {
  return (await git(repo, ['hash-object', '-t', 'tree', '--stdin'], { input: '' })).stdout.trim()
}

/** What a diff compares: a commit with the working tree, or (`{from, to}`) two commits. */
type Base = string | { from: string; to: string }

/**
 * `git diff <base> args` against the working tree (or between two commits). With `HEAD` as base,
 * a repository without commits is compared with the empty tree instead (checked only when HEAD
 * fails, so the usual case costs one git process).
 */
async function diffWorkingTree(
  repo: Repository,
  base: Base,
  args: string[],
  extra: { maxBytes?: number; env?: NodeJS.ProcessEnv } = {},
) {
  const revisions = typeof base === 'string' ? [base] : [base.from, base.to]
  const result = await git(repo, ['diff', ...revisions, ...args, ...DIFF_FLAGS, '--'], extra)
  if (result.code === 0 || base !== 'HEAD') return result
  if ((await git(repo, ['rev-parse', '--verify', '--quiet', 'HEAD'])).code === 0) return result
  return git(repo, ['diff', await emptyTree(repo), ...args, ...DIFF_FLAGS, '--'], extra)
}

/** Untracked files that `.gitignore` keeps, from the repository root. */
async function untrackedFiles(repo: Repository): Promise<string[]> {
  const result = await git(repo, ['ls-files', '--others', '--exclude-standard', '-z'])
  return result.code === 0 ? nulRecords(result.stdout) : []
}

async function mapLimited<T, R>(items: T[], limit: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await map(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/** Untracked files as added ones, with their patches when asked. */
async function untrackedChanges(repo: Repository, files: string[], withPatch: boolean): Promise<FileDiff[]> {
  const found = await mapLimited(files, READ_CONCURRENCY, async (file) => {
    const added = await newFile(repo.worktree, file, withPatch)
    if (!added) return undefined
    const entry: FileDiff = { file, additions: added.additions, deletions: 0, status: 'added' }
    if (added.patch !== undefined) entry.patch = added.patch
    return entry
  })
  return found.filter((entry) => entry !== undefined)
}

/** Counts and states of the tracked files that differ between `base` and the working tree. */
function parseRawNumstat(stdout: string): FileStatus[] {
  const records = nulRecords(stdout)
  const states = new Map<string, ChangeStatus>()
  const files: FileStatus[] = []
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!
    if (record.startsWith(':')) {
      // `:old-mode new-mode old-sha new-sha STATUS`, then the path as its own record.
      states.set(records[++i] ?? '', statusOf(record.slice(record.lastIndexOf(' ') + 1)))
      continue
    }
    const [additions, deletions, ...path] = record.split('\t')
    const file = path.join('\t')
    // Binary files count `-`: 0, as OpenCode answers.
    files.push({
      file,
      additions: Number.parseInt(additions!, 10) || 0,
      deletions: Number.parseInt(deletions!, 10) || 0,
      status: states.get(file) ?? 'modified',
    })
  }
  return files
}

async function trackedCounts(repo: Repository, base: Base): Promise<FileStatus[]> {
  const result = await diffWorkingTree(repo, base, ['--raw', '--numstat', '-z'])
  return result.code === 0 ? parseRawNumstat(result.stdout) : []
}

/** The path a patch chunk is about (its `diff --git a/x b/x` header; unquoted paths only). */
function patchFile(chunk: string): string | undefined {
  const header = chunk.slice('diff --git '.length, chunk.indexOf('\n'))
  if (header.startsWith('"')) return undefined
  const b = header.slice((header.length - 1) / 2 + 1)
  return b.startsWith('b/') ? b.slice(2) : undefined
}

/** A file's counts and state read from its patch, as `--numstat` gives them (binary: 0 and 0). */
function patchCounts(chunk: string): FileDiff | undefined {
  const file = patchFile(chunk)
  if (file === undefined) return undefined
  const hunks = chunk.search(/^@@ /m)
  const header = hunks === -1 ? chunk : chunk.slice(0, hunks)
  const status: ChangeStatus = /^new file mode /m.test(header)
    ? 'added'
    : /^deleted file mode /m.test(header)
      ? 'deleted'
      : 'modified'
  let additions = 0
  let deletions = 0
  if (hunks !== -1) {
    for (let i = hunks; i < chunk.length; i = chunk.indexOf('\n', i) + 1 || chunk.length) {
      const first = chunk.charCodeAt(i)
      if (first === 0x2b)
        additions++ // +
      else if (first === 0x2d) deletions++ // -
    }
  }
  return { file, additions, deletions, status, patch: chunk }
}

/** A file that became a symlink (or back) comes as a deletion and an addition: one modified entry. */
function mergeTypeChanges(files: FileDiff[]): FileDiff[] {
  const seen = new Map<string, FileDiff>()
  for (const file of files) {
    const earlier = seen.get(file.file)
    if (!earlier) seen.set(file.file, file)
    else
      seen.set(file.file, {
        file: file.file,
        additions: earlier.additions + file.additions,
        deletions: earlier.deletions + file.deletions,
        status: 'modified',
        patch: earlier.patch! + file.patch!,
      })
  }
  return [...seen.values()]
}

/**
 * Tracked files' patches from one `git diff`, counts and states read from the patches. A cut
 * output (past MAX_PATCH_BYTES) or a quoted path needs git's own counts as well.
 */
async function trackedDiff(repo: Repository, base: Base, context: number | undefined): Promise<FileDiff[]> {
  // Without a context, whole files (as OpenCode does): a client can show the file around each change.
  const result = await diffWorkingTree(repo, base, [`-U${context ?? 2147483647}`], { maxBytes: MAX_PATCH_BYTES })
  if (result.code !== 0) return []
  const chunks = result.stdout.split(/^(?=diff --git )/m).filter((chunk) => chunk.startsWith('diff --git '))
  if (result.truncated) chunks.pop() // the last one is incomplete
  const parsed = chunks.map(patchCounts)
  if (!result.truncated && parsed.every((file) => file !== undefined)) return mergeTypeChanges(parsed as FileDiff[])
  const patches = new Map(parsed.flatMap((file) => (file ? [[file.file, file.patch!] as const] : [])))
  return (await trackedCounts(repo, base)).map((file) => {
    const patch = patches.get(file.file)
    return patch === undefined ? file : { ...file, patch }
  })
}

/** Every file changed against HEAD (staged or not, untracked included), with line counts. */
export async function status(repo: Repository): Promise<FileStatus[]> {
  const [tracked, untracked] = await Promise.all([trackedCounts(repo, 'HEAD'), untrackedFiles(repo)])
  return [...tracked, ...(await untrackedChanges(repo, untracked, false))].sort(byFile)
}

/** The branch other work is compared with: origin's HEAD, else a local `main` or `master`. */
export async function defaultBranch(repo: Repository): Promise<{ name: string; ref: string } | undefined> {
  const remote = await git(repo, ['symbolic-ref', '--quiet', 'refs/remotes/origin/HEAD'])
  const target = remote.stdout.trim()
  if (remote.code === 0 && target.startsWith('refs/remotes/origin/'))
    return { name: target.slice('refs/remotes/origin/'.length), ref: target }
  for (const name of ['main', 'master']) {
    if ((await git(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${name}`])).code === 0)
      return { name, ref: `refs/heads/${name}` }
  }
  return undefined
}

/** Patches past the byte budget lose their text (the counts stay), in path order. */
function capPatches(files: FileDiff[]): FileDiff[] {
  let total = 0
  return files.map((file) => {
    if (file.patch === undefined) return file
    total += Buffer.byteLength(file.patch)
    if (total <= MAX_PATCH_BYTES) return file
    const { patch: _dropped, ...rest } = file
    return rest
  })
}

/**
 * Per-file patches of the working tree: against HEAD (`git`), or against where this branch left
 * the default branch (`branch`; `[]` on the default branch itself or when there is none).
 * Untracked files are included as added.
 */
export async function diff(repo: Repository, mode: 'git' | 'branch', context?: number): Promise<FileDiff[]> {
  let base = 'HEAD'
  if (mode === 'branch') {
    const target = await defaultBranch(repo)
    if (!target || (await currentBranch(repo.gitDir)) === target.name) return []
    const mergeBase = await git(repo, ['merge-base', 'HEAD', target.ref])
    base = mergeBase.stdout.trim()
    if (mergeBase.code !== 0 || !base) return []
  }
  return diffAgainst(repo, base, context)
}

/**
 * Per-file patches from commit `base` to the working tree, untracked files included as added;
 * or, with `head`, between the two commits.
 */
export async function diffAgainst(
  repo: Repository,
  base: string,
  context?: number,
  head?: string,
): Promise<FileDiff[]> {
  if (head !== undefined) return capPatches((await trackedDiff(repo, { from: base, to: head }, context)).sort(byFile))
  const [tracked, untracked] = await Promise.all([trackedDiff(repo, base, context), untrackedFiles(repo)])
  return capPatches([...tracked, ...(await untrackedChanges(repo, untracked, true))].sort(byFile))
}

/**
 * One patch of every uncommitted change that `git apply` takes back: git's own, binary content
 * included, with untracked files added intent-to-add in a copy of the index (the real one is
 * never written).
 */
export async function rawDiff(repo: Repository): Promise<string> {
  const untracked = await untrackedFiles(repo)
  if (untracked.length === 0) {
    const result = await diffWorkingTree(repo, 'HEAD', ['--binary'])
    return result.code === 0 ? result.stdout : ''
  }
  const dir = await mkdtemp(join(tmpdir(), 'ok-vcs-'))
  try {
    const index = join(dir, 'index')
    await copyFile(join(repo.gitDir, 'index'), index).catch(() => undefined) // no index before the first `git add`
    const env = { GIT_INDEX_FILE: index }
    await git(repo, ['add', '--intent-to-add', '--pathspec-from-file=-', '--pathspec-file-nul'], {
      input: untracked.join('\0'),
      env,
    })
    const result = await diffWorkingTree(repo, 'HEAD', ['--binary'], { env })
    return result.code === 0 ? result.stdout : ''
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Applies `patch` to the working tree only if all of it applies (checked first), else says why not. */
export async function applyPatch(
  repo: Repository,
  patch: string,
): Promise<{ applied: true } | { applied: false; detail: string }> {
  const check = await git(repo, ['apply', '--check', '--whitespace=nowarn', '-'], { input: patch })
  if (check.code !== 0) return { applied: false, detail: check.stderr.trim() }
  const applied = await git(repo, ['apply', '--whitespace=nowarn', '-'], { input: patch })
  if (applied.code !== 0) return { applied: false, detail: applied.stderr.trim() }
  return { applied: true }
}
