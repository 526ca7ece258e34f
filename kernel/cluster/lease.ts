import type { Cluster } from './index.js'

/** Which node runs which instance. (Helper A fills this in.) */
export class LeaseManager {
  constructor(private readonly cluster: Cluster) {}

  start(): void {}

  async close(): Promise<void> {}

  /** The directories this node holds a lease on. */
  owned(): string[] {
    return []
  }
}
