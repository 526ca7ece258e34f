import type { Storage } from '../storage.js'
import type { Cluster } from './index.js'

/** The local SQLite replica of the PostgreSQL stores. (Being written by the lead.) */
export class Replica {
  constructor(
    private readonly cluster: Cluster,
    private readonly storage: Storage,
  ) {}

  /** Loads every store from PostgreSQL into the (empty) local file. */
  async load(): Promise<void> {}

  async start(): Promise<void> {}

  stop(): void {}

  /** Resolves once every change this node made so far is committed in PostgreSQL. */
  async flush(): Promise<void> {}

  /** Resolves once every change the other nodes committed so far is applied here. */
  async catchUp(): Promise<void> {}
}
