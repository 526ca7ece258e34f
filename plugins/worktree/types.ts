// The worktree plugin's public contract (`app.worktrees`). Import with `import type` only.
import { type Instance } from '../../sdk/index.js'
import type { Worktree, WorktreeCreateInput } from './schemas.js'

export type { Worktree, WorktreeCreateInput }

/** Sandboxes of a git project, as the `/experimental/worktree` routes make and remove them. */
export interface WorktreeApi {
  /** A new checkout of the project's HEAD on `opencode/<name>`; start commands follow in the background. */
  create(instance: Instance, input: WorktreeCreateInput): Promise<Worktree>
  /** Removes one of the project's sandboxes (404 for anything else). */
  remove(instance: Instance, directory: string): Promise<true>
  /** Resets one of the project's sandboxes to the default branch. */
  reset(instance: Instance, directory: string): Promise<true>
  /** The sandboxes that still exist. */
  list(instance: Instance): Promise<string[]>
}

declare module 'fastify' {
  interface FastifyInstance {
    worktrees: WorktreeApi
  }
}
