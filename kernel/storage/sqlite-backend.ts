import type { NodeInfo } from '../core/kernel-api.js'
import type { InstanceManager } from '../instances/instance.js'
import type { Storage } from './sqlite-storage.js'
import type { StoresBackend } from './stores-backend.js'

/** One server on its own SQLite file: no other server to tell about writes, events or requests. */
export class SqliteBackend implements StoresBackend {
  readonly shared = false
  private readonly processNodeId = `pid_${process.pid}`

  constructor(readonly storage: Storage) {}

  attach(): void {}

  node(url: string | undefined, instances: InstanceManager): NodeInfo {
    return { id: this.processNodeId, url, backend: 'sqlite', instances: instances.directories() }
  }

  async ready(): Promise<void> {}

  start(): void {}

  async close(): Promise<void> {
    this.storage.close()
  }
}
