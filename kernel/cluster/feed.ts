import type { BusEvent, Listener } from '../bus.js'
import type { Cluster } from './index.js'

/** The cluster bus: every node's events in one order. (Being written by the lead.) */
export class ClusterFeed {
  constructor(private readonly cluster: Cluster) {}

  subscribe(_listener: Listener, _directory?: string): () => void {
    return () => {}
  }

  since(_seq: number, _directory?: string): Promise<BusEvent[] | undefined> {
    return Promise.resolve(undefined)
  }

  nextSeq(): number {
    return 0
  }
}
