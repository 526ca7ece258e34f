import type { Part } from '../schemas.js'
import type { SessionStore } from './store.js'

/**
 * Coalesces streaming part writes: deltas go on the bus at once, but a part is written to SQLite
 * at most once per interval (and always on `flush`, which the loop calls at each step's end).
 */
export class PartWriter {
  private readonly dirty = new Map<string, Part>()
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly store: SessionStore,
    private readonly intervalMs = 250,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** Marks the part to be written with the next batch. */
  schedule(part: Part): void {
    this.dirty.set(part.id, part)
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs)
  }

  /** Writes the part now (and drops it from the pending batch). */
  save(part: Part): void {
    this.dirty.delete(part.id)
    this.store.savePart(part)
  }

  /** Forgets pending writes of one session's parts (it is being deleted). */
  discard(sessionID: string): void {
    for (const [id, part] of this.dirty) if (part.sessionID === sessionID) this.dirty.delete(id)
  }

  flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.dirty.size === 0) return
    const parts = [...this.dirty.values()]
    this.dirty.clear()
    try {
      this.store.saveParts(parts)
    } catch (error) {
      this.onError(error)
    }
  }
}
