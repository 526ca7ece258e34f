// The snapshot plugin's public contract (`app.snapshots`). Import with `import type` only.
import { type Instance } from '../../sdk/index.js'

/** What changed in one file between two snapshots (the session plugin's `FileDiff` schema). */
export interface FileDiffInfo {
  /** Relative to the worktree. */
  file: string
  /** Content before; empty when added, binary or too large. */
  before: string
  after: string
  additions: number
  deletions: number
  status?: 'added' | 'deleted' | 'modified'
}

/** Files changed since a snapshot: `hash` is the snapshot they can be restored from. */
export interface SnapshotPatch {
  hash: string
  /** Absolute paths. */
  files: string[]
  /** The snapshot of the worktree as it is now (set by `patch`). */
  after?: string
}

/**
 * Worktree snapshots kept in a git object store of the server's own (never the user's history,
 * index or branches). Outside git, or with config `snapshot: false`, `track` answers undefined.
 */
export interface SnapshotService {
  /** Records the worktree as it is now; the tree hash. */
  track(instance: Instance): Promise<string | undefined>
  /** Files that differ now from snapshot `hash`, and a snapshot of now (`after`). */
  patch(instance: Instance, hash: string): Promise<SnapshotPatch>
  /** Per-file changes from `from` to `to` (default: the worktree now). */
  diff(instance: Instance, from: string, to?: string): Promise<FileDiffInfo[]>
  /** Puts every file of `patches` back as it was in its patch's snapshot (the first patch naming a file wins). */
  revert(instance: Instance, patches: SnapshotPatch[]): Promise<void>
  /** Puts the whole worktree back as it was in snapshot `hash` (files added since are removed). */
  restore(instance: Instance, hash: string): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    snapshots: SnapshotService
  }
}
