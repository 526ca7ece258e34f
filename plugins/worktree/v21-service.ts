import type { WorktreeKernel } from './index.js'
import { lstat, mkdir, rm } from 'node:fs/promises'
import { basename, isAbsolute, join } from 'node:path'
import { InvalidRequestError, type Instance } from '../../sdk/index.js'
import type { Project, ProjectService } from '../project/types.js'
import { ProjectNotFoundError, WorktreeV21Error } from './errors.js'
import { WorktreeUpdated } from './events.js'
import {
  NAME_ATTEMPTS,
  canonical,
  generatedName,
  isDirectory,
  isWorktreeName,
  tail,
  type WorktreeService,
} from './service.js'

export interface WorktreeEntry {
  directory: string
  strategy?: 'git'
}

export interface WorktreeCreateV21 {
  name?: string
  branch?: string
  directory?: string
  from?: string
}

/** A git worktree as `git worktree list --porcelain` tells it. */
interface GitWorktree {
  directory: string
  branch?: string
}

/**
 * A name as OpenCode 2.1 takes it ("My Tree") made into one our worktrees can have: a folder name
 * and the branch `opencode/<name>`. Nothing of a path survives (`../x` is `x`).
 */
export function worktreeSlug(name: string): string | undefined {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 64)
    .replace(/(\.lock)+$/, '')
    .replace(/[._-]+$/, '')
  return isWorktreeName(slug) ? slug : undefined
}

/**
 * OpenCode 2.1's worktrees (`/api/worktree*`), addressed by project id: the same checkouts as the
 * 1.x `/experimental/worktree` routes (made by the same service, listed in the project's
 * `sandboxes`), plus the project's other git worktrees once `refresh` found them.
 */
export class WorktreeV21Service {
  constructor(
    private readonly kernel: WorktreeKernel,
    private readonly projects: ProjectService,
    private readonly service: WorktreeService,
  ) {}

  private project(projectID: string): Project {
    const project = this.projects.get(projectID)
    if (!project) throw new ProjectNotFoundError(projectID)
    return project
  }

  /** The instance of the project's main checkout, where git runs; 400 unless it is a git checkout. */
  private async gitInstance(project: Project): Promise<Instance> {
    if (project.vcs !== 'git' || project.id === 'global')
      throw new WorktreeV21Error('Worktrees are only supported for git projects with a commit')
    if (!(await isDirectory(project.worktree)))
      throw new WorktreeV21Error(`Project directory unavailable: ${project.worktree}`)
    const instance = await this.kernel.instances.get(project.worktree)
    if (instance.project.id !== project.id)
      throw new WorktreeV21Error(`Project directory unavailable: ${project.worktree} is another repository now`)
    return instance
  }

  /** The repository's worktrees with their branches, the main one first. */
  private async gitWorktrees(cwd: string): Promise<GitWorktree[]> {
    const listed = await this.service.git(cwd, ['worktree', 'list', '--porcelain'])
    if (listed.code !== 0) throw new WorktreeV21Error(tail(listed.stderr) || 'git worktree list failed')
    const entries: GitWorktree[] = []
    for (const line of listed.stdout.split('\n')) {
      if (line.startsWith('worktree ')) entries.push({ directory: await canonical(line.slice('worktree '.length)) })
      else if (line.startsWith('branch refs/heads/') && entries.length > 0)
        entries[entries.length - 1]!.branch = line.slice('branch refs/heads/'.length)
    }
    return entries
  }

  private updated(projectID: string): void {
    this.kernel.bus.publish('global', WorktreeUpdated, { projectID })
  }

  /** The saved inventory, newest first, then the main checkout; nothing is discovered here. */
  async list(projectID: string): Promise<WorktreeEntry[]> {
    const project = this.project(projectID)
    if (project.vcs !== 'git' || project.id === 'global') return []
    const present = await Promise.all(project.sandboxes.map(isDirectory))
    const saved = project.sandboxes.filter((_, i) => present[i]).reverse()
    return [...saved.map((directory) => ({ directory, strategy: 'git' as const })), { directory: project.worktree }]
  }

  /** The commit the new worktree starts at: `branch`, else the HEAD of `from` (one of the project's checkouts), else HEAD. */
  private async startPoint(instance: Instance, input: WorktreeCreateV21): Promise<string> {
    const repo = instance.worktree
    if (input.branch !== undefined) {
      const resolved = await this.service.git(repo, [
        'rev-parse',
        '--verify',
        '--quiet',
        '--end-of-options',
        `${input.branch}^{commit}`,
      ])
      if (input.branch.startsWith('-') || resolved.code !== 0)
        throw new WorktreeV21Error(`Invalid reference: ${input.branch}`)
      return resolved.stdout.trim()
    }
    if (input.from !== undefined) {
      const from = isAbsolute(input.from) ? await canonical(input.from) : undefined
      const known = (await this.gitWorktrees(repo)).some((entry) => entry.directory === from)
      if (from === undefined || !known) throw new WorktreeV21Error(`Worktree source not found: ${input.from}`)
      const head = await this.service.git(from, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])
      if (head.code !== 0) throw new WorktreeV21Error(`Worktree source has no commit: ${input.from}`)
      return head.stdout.trim()
    }
    return 'HEAD'
  }

  /** A free name in `parent`: the slug of `name` (then `-2`, `-3` …), else a generated one. */
  private async freeName(repo: string, parent: string, name: string | undefined): Promise<string> {
    // Anything at the path counts, a dangling symlink too.
    const taken = async (candidate: string) =>
      (await lstat(join(parent, candidate)).catch(() => undefined)) !== undefined ||
      (await this.service.branchExists(repo, `opencode/${candidate}`))
    const slug = name === undefined ? undefined : worktreeSlug(name)
    for (let attempt = 0; attempt < NAME_ATTEMPTS; attempt++) {
      const candidate = slug === undefined ? generatedName(attempt) : attempt === 0 ? slug : `${slug}-${attempt + 1}`
      if (!(await taken(candidate))) return candidate
    }
    throw new WorktreeV21Error('Failed to generate a unique worktree name')
  }

  /**
   * A linked worktree on a new branch `opencode/<name>` (in `directory`, else the server's data
   * directory), then the project's `commands.start` in it. When that fails the worktree is
   * removed again and the 400 says so: a client never gets an error for a worktree that exists.
   */
  async create(projectID: string, input: WorktreeCreateV21): Promise<{ directory: string }> {
    const project = this.project(projectID)
    const instance = await this.gitInstance(project)
    if (input.directory !== undefined && (!isAbsolute(input.directory) || !(await isDirectory(input.directory))))
      throw new InvalidRequestError(`Not an existing absolute directory: ${input.directory}`, {
        kind: 'Payload',
        field: 'directory',
      })
    const repo = instance.worktree
    const directory = await this.service.serial(instance, async () => {
      const start = await this.startPoint(instance, input)
      const parent = input.directory ?? this.service.rootOf(instance)
      await mkdir(parent, { recursive: true })
      const name = await this.freeName(repo, parent, input.name)
      const target = join(await canonical(parent), name)
      const added = await this.service.git(repo, [
        'worktree',
        'add',
        '--quiet',
        '-b',
        `opencode/${name}`,
        target,
        start,
      ])
      if (added.code !== 0) {
        await this.discard(repo, { directory: target, branch: `opencode/${name}` })
        throw new WorktreeV21Error(tail(added.stderr) || 'Failed to create the git worktree')
      }
      return target
    })
    const command = this.projects.get(projectID)?.commands?.start?.trim()
    const outcome = command ? await this.service.runStartCommand(instance, directory, command) : 'ok'
    if (outcome !== 'ok') {
      await this.service.serial(instance, () =>
        this.discard(repo, { directory, branch: `opencode/${basename(directory)}` }),
      )
      throw new WorktreeV21Error(
        `${outcome === 'interrupted' ? 'Start command interrupted' : outcome}\nThe worktree was removed.`,
      )
    }
    this.projects.addSandbox(instance, directory)
    this.updated(projectID)
    return { directory }
  }

  /** Removes a worktree's checkout, and its branch when it is one of ours (`opencode/<folder name>`). */
  private async discard(repo: string, worktree: GitWorktree): Promise<void> {
    const registered = (await this.gitWorktrees(repo)).some((entry) => entry.directory === worktree.directory)
    if (registered) {
      const removed = await this.service.git(repo, ['worktree', 'remove', '--force', worktree.directory])
      if (removed.code !== 0) throw new WorktreeV21Error(tail(removed.stderr) || 'Failed to remove the git worktree')
    } else if (worktree.branch === `opencode/${basename(worktree.directory)}`) {
      // A failed `worktree add` may leave its folder: ours all the same.
      await rm(worktree.directory, { recursive: true, force: true })
    }
    if (
      worktree.branch === `opencode/${basename(worktree.directory)}` &&
      (await this.service.branchExists(repo, worktree.branch))
    ) {
      const deleted = await this.service.git(repo, ['branch', '-D', worktree.branch])
      if (deleted.code !== 0)
        this.kernel.log.warn({ branch: worktree.branch, stderr: deleted.stderr.trim() }, 'worktree branch not deleted')
    }
  }

  /**
   * Removes one of the project's worktrees (not its main checkout): refused with
   * `forceRequired: true` when it has changes and `force` is false. A saved directory that is
   * gone is only forgotten; a directory that is not a worktree of the repository is left alone.
   */
  async remove(projectID: string, requested: string, force: boolean): Promise<void> {
    const project = this.project(projectID)
    const instance = await this.gitInstance(project)
    if (!isAbsolute(requested)) throw new WorktreeV21Error(`Worktree directory unavailable: ${requested}`)
    const directory = await canonical(requested)
    await this.service.serial(instance, async () => {
      const entries = await this.gitWorktrees(instance.worktree)
      const main = entries[0]?.directory ?? instance.worktree
      if (directory === main || directory === (await canonical(project.worktree)))
        throw new WorktreeV21Error(`Invalid worktree directory: ${requested}`)
      const entry = entries.find((candidate) => candidate.directory === directory)
      const saved = project.sandboxes.includes(directory) || project.sandboxes.includes(requested)
      if (!entry && !(saved && !(await isDirectory(directory))))
        throw new WorktreeV21Error(`Worktree directory unavailable: ${requested}`)
      if (entry && (await isDirectory(directory)) && !force) {
        const status = await this.service.git(directory, ['status', '--porcelain', '--untracked-files=normal'])
        if (status.code !== 0 || status.stdout.trim() !== '')
          throw new WorktreeV21Error(`Worktree has uncommitted or untracked changes: ${requested}`, true)
      }
      this.service.stopStartCommand(directory)
      await this.service.disposeInstancesIn(directory)
      if (entry) await this.discard(main, entry)
    })
    for (const path of new Set([directory, requested])) this.projects.removeSandbox(instance, path)
    this.updated(projectID)
  }

  /** Saves every git worktree of the repository and forgets saved ones that are gone. */
  async refresh(projectID: string): Promise<void> {
    const project = this.project(projectID)
    if (project.vcs !== 'git' || project.id === 'global') return
    const instance = await this.gitInstance(project)
    const entries = await this.service.serial(instance, () => this.gitWorktrees(instance.worktree))
    for (const directory of project.sandboxes)
      if (!(await isDirectory(directory))) this.projects.removeSandbox(instance, directory)
    for (const { directory } of entries.slice(1))
      if (directory !== project.worktree && (await isDirectory(directory)))
        this.projects.addSandbox(instance, directory)
    this.updated(projectID)
  }
}
