import { execFile } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The project an instance belongs to: one per git repository (by root commit), else `global`. */
export interface ProjectRef {
  id: string
  worktree: string
  vcs?: 'git'
}

type Disposer = () => unknown

interface StateEntry {
  value: unknown
  dispose?: Disposer
}

/**
 * One project directory the server works in. Plugins keep per-directory state here so that
 * dispose, eviction and hot reload release it.
 */
export class Instance {
  private readonly states = new Map<string, StateEntry>()
  private disposed = false
  private readonly pins = new Map<number, string>()
  private pinCount = 0
  /** Set by the instance cache: runs when the last pin is released. */
  onUnpinned?: () => void

  constructor(
    readonly directory: string,
    readonly worktree: string,
    readonly project: ProjectRef,
  ) {}

  get isDisposed(): boolean {
    return this.disposed
  }

  /**
   * State kept for this instance under `key`, created on first use. `dispose` runs when the
   * instance is disposed. A stable key lets a reloaded plugin find the state it had.
   */
  state<T>(key: string, init: (instance: Instance) => T, dispose?: (value: T, instance: Instance) => unknown): T {
    const existing = this.states.get(key)
    if (existing) return existing.value as T
    if (this.disposed) throw new Error(`instance ${this.directory} is disposed`)
    const value = init(this)
    this.states.set(key, { value, dispose: dispose ? () => dispose(value, this) : undefined })
    return value
  }

  /**
   * Marks the instance busy (a running turn, an open terminal, a request waiting on the user):
   * the LRU cache does not evict it until every pin is released. Returns the release (idempotent).
   * Dispose on request still ends a pinned instance.
   */
  pin(reason: string): () => void {
    const id = ++this.pinCount
    this.pins.set(id, reason)
    return () => {
      if (this.pins.delete(id) && this.pins.size === 0) this.onUnpinned?.()
    }
  }

  /** Why the instance is busy (empty when idle). */
  get pinned(): string[] {
    return [...this.pins.values()]
  }

  /** Disposes and forgets one piece of state; the next `state()` call creates it anew. */
  async resetState(key: string): Promise<void> {
    const entry = this.states.get(key)
    if (!entry) return
    this.states.delete(key)
    await entry.dispose?.()
  }

  /** Runs every disposer, newest state first; failures are reported, not thrown. */
  async dispose(onError: (error: unknown, key: string) => void): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    const entries = [...this.states.entries()].reverse()
    this.states.clear()
    for (const [key, entry] of entries) {
      try {
        await entry.dispose?.()
      } catch (error) {
        onError(error, key)
      }
    }
  }
}

async function isGitDir(path: string): Promise<boolean> {
  try {
    await stat(join(path, '.git'))
    return true
  } catch {
    return false
  }
}

/** Finds the folder holding `.git` above `directory`, without spawning git. */
export async function findGitRoot(directory: string): Promise<string | undefined> {
  let current = directory
  for (;;) {
    if (await isGitDir(current)) return current
    const parent = dirname(current)
    if (parent === current) return undefined
    current = parent
  }
}

const projectIds = new Map<string, string>()

/** Project id = the repository's (first) root commit, as OpenCode computes it. */
export async function resolveProject(directory: string): Promise<{ worktree: string; project: ProjectRef }> {
  const marker = await findGitRoot(directory)
  if (!marker) return { worktree: directory, project: { id: 'global', worktree: directory } }
  let worktree: string
  try {
    const { stdout } = await run('git', ['rev-parse', '--show-toplevel'], { cwd: directory })
    worktree = resolve(stdout.trim())
  } catch {
    return { worktree: directory, project: { id: 'global', worktree: directory } }
  }
  let id = projectIds.get(worktree)
  if (!id) {
    try {
      const { stdout } = await run('git', ['rev-list', '--max-parents=0', 'HEAD'], { cwd: worktree })
      id = stdout
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
        .sort()[0]
    } catch {
      // A repository without commits has no root commit yet.
    }
    if (id) projectIds.set(worktree, id)
  }
  return { worktree, project: { id: id ?? 'global', worktree, vcs: 'git' } }
}

export interface InstanceManagerOptions {
  /** How many instances stay cached; the least recently used beyond it is disposed. */
  capacity: number
  onBoot: (instance: Instance) => void
  /** Runs before an instance is created; a rejection fails the boot (a cluster node claims the lease here). */
  beforeBoot?: (directory: string) => Promise<void>
  onDispose: (instance: Instance) => Promise<void>
  /** Busy (pinned) instances keep the cache above capacity; called each time that happens. */
  onOverCapacity?: (size: number, pinned: { directory: string; reasons: string[] }[]) => void
}

/** Creates each instance once (even under concurrent first requests) and caps them LRU. */
export class InstanceManager {
  private readonly instances = new Map<string, Promise<Instance>>()
  /** The instances that finished booting: the request path's synchronous lookup, and the pins eviction must respect. */
  private readonly booted = new Map<string, Instance>()

  constructor(private readonly options: InstanceManagerOptions) {}

  get size(): number {
    return this.instances.size
  }

  /** `directory` must be absolute, normalised and exist; the caller checks. */
  get(directory: string): Promise<Instance> {
    const cached = this.instances.get(directory)
    if (cached) {
      // Re-inserting moves the entry to the most recently used end.
      this.instances.delete(directory)
      this.instances.set(directory, cached)
      return cached
    }
    const { beforeBoot } = this.options
    const resolved = beforeBoot
      ? beforeBoot(directory).then(() => resolveProject(directory))
      : resolveProject(directory)
    const created = resolved.then(({ worktree, project }) => {
      const instance = new Instance(directory, worktree, project)
      if (this.instances.get(directory) === created) {
        this.booted.set(directory, instance)
        instance.onUnpinned = () => this.evict()
      }
      this.options.onBoot(instance)
      return instance
    })
    this.instances.set(directory, created)
    created.catch(() => {
      if (this.instances.get(directory) === created) this.instances.delete(directory)
    })
    this.evict()
    return created
  }

  /** The instance of `directory` if it exists and has finished booting (marked recently used); no promise. */
  ready(directory: string): Instance | undefined {
    const instance = this.booted.get(directory)
    if (instance === undefined) return undefined
    const entry = this.instances.get(directory)!
    this.instances.delete(directory)
    this.instances.set(directory, entry)
    return instance
  }

  has(directory: string): boolean {
    return this.instances.has(directory)
  }

  /** The directories whose instance has booted. */
  directories(): string[] {
    return [...this.booted.keys()]
  }

  async list(): Promise<Instance[]> {
    const settled = await Promise.allSettled(this.instances.values())
    return settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
  }

  /** Disposes one directory's instance; the next request creates a fresh one. */
  async dispose(directory: string): Promise<boolean> {
    const pending = this.instances.get(directory)
    if (!pending) return false
    this.instances.delete(directory)
    this.booted.delete(directory)
    const instance = await pending.catch(() => undefined)
    if (instance) await this.options.onDispose(instance)
    return true
  }

  async disposeAll(): Promise<void> {
    for (const directory of [...this.instances.keys()]) await this.dispose(directory)
  }

  /** Disposes the least recently used idle instances beyond capacity; busy ones wait for their last unpin. */
  private evict(): void {
    let excess = this.instances.size - this.options.capacity
    if (excess <= 0) return
    const pinned: { directory: string; reasons: string[] }[] = []
    // The most recently used one is the request being served: never evicted here.
    for (const directory of [...this.instances.keys()].slice(0, -1)) {
      if (excess <= 0) break
      const reasons = this.booted.get(directory)?.pinned ?? []
      if (reasons.length) {
        pinned.push({ directory, reasons })
        continue
      }
      void this.dispose(directory)
      excess--
    }
    if (excess > 0) this.options.onOverCapacity?.(this.instances.size, pinned)
  }
}
