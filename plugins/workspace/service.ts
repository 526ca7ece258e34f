import type { WorkspaceKernel } from './index.js'
import type { FastifyInstance } from 'fastify'
import { stat } from 'node:fs/promises'
import { relative } from 'node:path'
import { NotFoundError, ascendingId, checkDirectory, isNamedError, type Instance } from '../../sdk/index.js'
import { carryChanges } from './changes.js'
import { ChangesNotAppliedError, MoveSessionError, WorkspaceCreateError, WorkspaceWarpError } from './errors.js'
import { SessionMoved, WorkspaceReady, WorkspaceStatusChanged } from './events.js'
import type { Workspace, WorkspaceCreateInput } from './schemas.js'
import type { WorkspaceStore } from './store.js'

export const ADAPTERS = [{ type: 'worktree', name: 'Worktree', description: 'Create a git worktree' }]

const WORKTREE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/

async function exists(directory: string | null): Promise<boolean> {
  return directory !== null && ((await stat(directory).catch(() => undefined))?.isDirectory() ?? false)
}

/**
 * Workspaces: named places of a project a session can work in. The `worktree` adapter makes each
 * a sandbox of the worktree plugin; a workspace id stands for its directory in instance routing.
 */
export class WorkspaceService {
  constructor(
    private readonly app: FastifyInstance,
    private readonly kernel: WorkspaceKernel,
    readonly store: WorkspaceStore,
  ) {}

  /** The directory a workspace id stands for (instance routing, v2 `location[workspace]`). */
  directory(id: string): string | undefined {
    return this.store.get(id)?.directory ?? undefined
  }

  list(instance: Instance): Workspace[] {
    return this.store.list(instance.project.id)
  }

  async status(instance: Instance): Promise<{ workspaceID: string; status: 'connected' | 'error' }[]> {
    const workspaces = this.list(instance)
    const present = await Promise.all(workspaces.map((workspace) => exists(workspace.directory)))
    return workspaces.map((workspace, i) => ({ workspaceID: workspace.id, status: present[i] ? 'connected' : 'error' }))
  }

  /** Forgets the workspaces whose checkout is gone (removed with `DELETE /experimental/worktree`, or by hand). */
  async syncList(instance: Instance): Promise<void> {
    for (const workspace of this.list(instance)) {
      if (await exists(workspace.directory)) continue
      this.store.remove(workspace.id)
      this.kernel.publish(instance, WorkspaceStatusChanged, { workspaceID: workspace.id, status: 'disconnected' })
    }
  }

  async create(instance: Instance, input: WorkspaceCreateInput): Promise<Workspace> {
    if (input.type !== 'worktree')
      throw new WorkspaceCreateError(`Unknown workspace type: ${input.type} (this server has: worktree)`)
    if (input.id && this.store.get(input.id)) throw new WorkspaceCreateError(`Workspace already exists: ${input.id}`)
    let name: string | undefined
    if (input.branch) {
      name = input.branch.startsWith('opencode/') ? input.branch.slice('opencode/'.length) : input.branch
      if (!WORKTREE_NAME.test(name))
        throw new WorkspaceCreateError(
          `Not a usable branch for a worktree: "${input.branch}" (opencode/<name>, the name in lowercase letters, digits, ".", "_", "-")`,
        )
    }
    let worktree
    try {
      worktree = await this.app.worktrees.create(instance, name === undefined ? {} : { name })
    } catch (error) {
      if (isNamedError(error) && error.statusCode < 500) throw new WorkspaceCreateError(error.message)
      throw error
    }
    const workspace: Workspace = {
      id: input.id ?? ascendingId('wrk'),
      type: 'worktree',
      name: worktree.name,
      branch: worktree.branch,
      directory: worktree.directory,
      extra: input.extra ?? null,
      projectID: instance.project.id,
      timeUsed: Date.now(),
    }
    this.store.save(workspace)
    this.kernel.publish(instance, WorkspaceReady, { name: workspace.name })
    this.kernel.publish(instance, WorkspaceStatusChanged, { workspaceID: workspace.id, status: 'connected' })
    return workspace
  }

  /** Removes the workspace and its checkout; `null` for an id this project does not have. */
  async remove(instance: Instance, id: string): Promise<Workspace | null> {
    const workspace = this.store.get(id)
    if (!workspace || workspace.projectID !== instance.project.id) return null
    if (workspace.directory && (await exists(workspace.directory))) {
      try {
        await this.app.worktrees.remove(instance, workspace.directory)
      } catch (error) {
        // Already gone from git's list: only the record is left to drop.
        if (!(error instanceof NotFoundError)) throw error
      }
    }
    this.store.remove(id)
    this.kernel.publish(instance, WorkspaceStatusChanged, { workspaceID: id, status: 'disconnected' })
    return workspace
  }

  /** Moves a session into a workspace (`null`: back to the project's own checkout). */
  async warp(instance: Instance, id: string | null, sessionID: string, copyChanges: boolean): Promise<void> {
    let directory: string
    if (id === null) directory = this.app.projects.current(instance).worktree
    else {
      const workspace = this.store.get(id)
      if (!workspace || workspace.projectID !== instance.project.id || !workspace.directory)
        throw new NotFoundError(`Workspace not found: ${id}`)
      if (!(await exists(workspace.directory)))
        throw new WorkspaceWarpError(`The workspace's checkout is gone: ${workspace.directory}`)
      directory = workspace.directory
      this.store.save({ ...workspace, timeUsed: Date.now() })
    }
    await this.move(instance, sessionID, directory, {
      changes: copyChanges ? 'copy' : undefined,
      workspaceID: id ?? undefined,
      fail: (message) => new WorkspaceWarpError(message),
    })
  }

  /**
   * Points a session at another directory of its project, optionally carrying the uncommitted
   * changes of its checkout there; `session.updated` and `session.next.moved` on the destination.
   */
  async move(
    instance: Instance,
    sessionID: string,
    requested: string,
    options: { changes?: 'copy' | 'move'; workspaceID?: string; fail: (message: string) => Error },
  ): Promise<void> {
    const session = this.app.sessions.get(instance, sessionID)
    let destination: Instance
    try {
      destination = await this.kernel.instances.get(await checkDirectory(requested, 'cwd'))
    } catch (error) {
      throw options.fail(isNamedError(error) ? error.message : `Cannot open ${requested}`)
    }
    if (destination.project.id !== session.projectID)
      throw options.fail(`${destination.directory} belongs to another project than session ${sessionID}`)
    if (options.changes) {
      const source = await this.kernel.instances
        .get(await checkDirectory(session.directory, 'cwd'))
        .catch(() => undefined)
      if (!source || source.project.vcs !== 'git' || destination.project.vcs !== 'git')
        throw new ChangesNotAppliedError(
          "Patch can't be applied: changes can only be carried between git checkouts",
          'non-git',
        )
      if (source.worktree !== destination.worktree)
        await carryChanges(source.worktree, destination.worktree, options.changes, this.kernel.env)
    }
    const subdirectory = relative(destination.worktree, destination.directory)
    this.app.sessions.update(destination, sessionID, (info) => {
      info.directory = destination.directory
      info.path = subdirectory
      if (options.workspaceID) info.workspaceID = options.workspaceID
      else delete info.workspaceID
    })
    const location = options.workspaceID
      ? { directory: destination.directory, workspaceID: options.workspaceID }
      : { directory: destination.directory }
    this.kernel.publish(destination, SessionMoved, {
      sessionID,
      timestamp: Date.now(),
      location,
      ...(subdirectory ? { subdirectory } : {}),
    })
  }
}

export { MoveSessionError }
