// What OpenCode 2.1 compares a branch with: the review base (the default branch while on it, else
// the branch the current one was created from, by its reflog), the branch names, and diffs of
// the working copy or of the commits since that base.
import { InvalidRequestError, ServiceUnavailableError } from '../../sdk/index.js'
import { defaultBranch, diffAgainst, type FileDiff, type Repository } from './changes.js'
import { runGit } from './git.js'
import { currentBranch } from './service.js'

export interface ReviewBase {
  name: string
  ref: string
  source: 'default' | 'reflog'
}

export type DiffMode = 'working' | 'branch' | 'committed'

const git = (repo: Repository, args: string[]) => runGit(args, { cwd: repo.worktree, env: repo.env })

async function resolves(repo: Repository, ref: string): Promise<boolean> {
  return (await git(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).code === 0
}

/** The local or remote branch a reflog's "Created from X" names, if it is one. */
async function namedBranch(repo: Repository, name: string): Promise<ReviewBase | undefined> {
  for (const ref of [`refs/heads/${name}`, `refs/remotes/${name}`])
    if (await resolves(repo, ref)) return { name, ref, source: 'reflog' }
  return undefined
}

/**
 * The review base: the default branch while it is checked out, else the branch the current one
 * was created from (its reflog's first entry). Undefined before the first commit, when detached,
 * and outside git; 503 "Choose a review base" when neither tells (as OpenCode answers).
 */
export async function reviewBase(repo: Repository): Promise<ReviewBase | undefined> {
  const branch = await currentBranch(repo.gitDir)
  if (!branch || branch === 'HEAD' || !(await resolves(repo, 'HEAD'))) return undefined
  const target = await defaultBranch(repo)
  if (target && branch === target.name) return { ...target, source: 'default' }
  const reflog = await git(repo, ['reflog', 'show', '--format=%gs', `refs/heads/${branch}`, '--'])
  const created = reflog.stdout
    .trim()
    .split('\n')
    .at(-1)
    ?.match(/^branch: Created from (.+)$/)?.[1]
  const from = created && created !== 'HEAD' && created !== branch ? await namedBranch(repo, created) : undefined
  if (from) return from
  throw new ServiceUnavailableError('Choose a review base', 'vcs')
}

/** Local and remote branch names (symbolic refs such as `origin/HEAD` left out), by name. */
export async function branchNames(repo: Repository, search?: string, limit?: number): Promise<string[]> {
  // Ref names hold neither tabs nor newlines.
  const listed = await git(repo, [
    'for-each-ref',
    '--format=%(refname:short)%09%(symref)',
    'refs/heads',
    'refs/remotes',
  ])
  const names = listed.stdout
    .split('\n')
    .map((line) => line.split('\t'))
    .filter(([name, symref]) => name && !symref)
    .map(([name]) => name!)
  const needle = search?.toLowerCase()
  const found = [...new Set(names)].filter((name) => !needle || name.toLowerCase().includes(needle)).sort()
  return limit === undefined ? found : found.slice(0, limit)
}

/** The commit `base` (a branch or any revision a client names) shares with HEAD. */
async function mergeBase(repo: Repository, base: string, named: boolean): Promise<string> {
  if (named && (base.startsWith('-') || !(await resolves(repo, base))))
    throw new InvalidRequestError(`Unknown base: ${base}`, { kind: 'Query', field: 'base' })
  const result = await git(repo, ['merge-base', '--end-of-options', 'HEAD', base])
  const commit = result.stdout.trim()
  if (result.code !== 0 || !commit) throw new ServiceUnavailableError(`No merge base available for ${base}`, 'vcs')
  return commit
}

/**
 * `working`: HEAD to the working copy; `branch`: the merge base with `base` (else the default
 * branch) to the working copy; `committed`: that merge base to HEAD. Untracked files count as
 * added in the first two. Before the first commit, `branch` is `working` and `committed` is empty.
 */
export async function modeDiff(
  repo: Repository,
  mode: DiffMode,
  options: { base?: string; context?: number },
): Promise<FileDiff[]> {
  const hasHead = await resolves(repo, 'HEAD')
  if (mode === 'working' || !hasHead) return mode === 'committed' ? [] : diffAgainst(repo, 'HEAD', options.context)
  const target = options.base ?? (await defaultBranch(repo))?.ref
  if (target === undefined) throw new ServiceUnavailableError('No review base available', 'vcs')
  const from = await mergeBase(repo, target, options.base !== undefined)
  return mode === 'branch' ? diffAgainst(repo, from, options.context) : diffAgainst(repo, from, options.context, 'HEAD')
}
