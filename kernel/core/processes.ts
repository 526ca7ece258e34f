import type { Instance } from '../instances/instance.js'

/** A started child, as `child_process` and node-pty both expose it. */
export interface StartedProcess {
  readonly pid?: number
}

interface Tracked {
  pid: number
  label: string
  /** Spawned with `detached: true` (or in its own session): the child leads its own process group. */
  group: boolean
  instance?: Instance
}

/** How long `stop` waits after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 1000

function signal(entry: Tracked, name: NodeJS.Signals | 0): boolean {
  try {
    process.kill(entry.group ? -entry.pid : entry.pid, name)
    return true
  } catch {
    // ESRCH: already gone
    return false
  }
}

/**
 * Every child process (group) the server started that may outlive a request: tool commands,
 * shells, terminals, MCP stdio servers, language servers, worktree start commands, formatters.
 * Plugins `track` what they spawn (with `detached: true`, so `process.kill(-pid)` ends the child
 * and everything it started); disposing an instance stops its entries and closing the kernel
 * (signals, `/global/dispose` of the process, tests) stops all of them, whatever the plugin that
 * owns them did or failed to do.
 */
export class ProcessGroups {
  private readonly entries = new Map<number, Tracked>()

  /**
   * Tracks `child` until `untrack` (or the returned function) is called, normally on its exit.
   * `group` says the child leads its own process group (spawned `detached`, or a pty).
   */
  track(child: StartedProcess, options: { label: string; group: boolean; instance?: Instance }): () => void {
    const pid = child.pid
    if (pid === undefined) return () => {}
    const entry: Tracked = { pid, ...options }
    this.entries.set(pid, entry)
    return () => {
      if (this.entries.get(pid) === entry) this.entries.delete(pid)
    }
  }

  /** What is tracked (for logs and tests). */
  list(instance?: Instance): { pid: number; label: string; group: boolean }[] {
    return [...this.entries.values()]
      .filter((e) => !instance || e.instance === instance)
      .map(({ pid, label, group }) => ({ pid, label, group }))
  }

  get size(): number {
    return this.entries.size
  }

  /** SIGTERM to each tracked group (of `instance`, or all), SIGKILL to those alive after a grace. */
  async stop(instance?: Instance, graceMs = STOP_GRACE_MS): Promise<number> {
    const targets = [...this.entries.values()].filter((e) => !instance || e.instance === instance)
    for (const entry of targets) this.entries.delete(entry.pid)
    const alive = targets.filter((entry) => signal(entry, 'SIGTERM'))
    const deadline = Date.now() + graceMs
    let left = alive
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25))
      left = left.filter((entry) => signal(entry, 0))
    }
    for (const entry of left) signal(entry, 'SIGKILL')
    return alive.length
  }

  /** SIGKILL to every tracked group at once, synchronously (the process is exiting). */
  killAll(): void {
    for (const entry of this.entries.values()) signal(entry, 'SIGKILL')
    this.entries.clear()
  }
}
