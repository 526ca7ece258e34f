import type { FastifyInstance } from 'fastify'
import { randomBytes } from 'node:crypto'
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { KernelRuntime } from '../core/kernel-runtime.js'
import type { NodeInfo } from '../core/kernel-api.js'
import type { InstanceManager } from '../instances/instance.js'
import { redact } from '../storage/database-url.js'
import type { OpenBackendContext } from '../storage/open-backend.js'
import { Storage } from '../storage/sqlite-storage.js'
import type { BackendOptions, StoresBackend } from '../storage/stores-backend.js'
import { Cluster } from './cluster.js'
import { ClusterRouting } from './cluster-routing.js'

declare module '../core/kernel-runtime.js' {
  interface KernelRuntime {
    /** Set when the stores live in PostgreSQL shared with other servers: tests and diagnostics reach the cluster here. */
    readonly cluster?: Cluster
  }
}

/**
 * The stores in PostgreSQL, shared by several servers: this node's `Cluster` behind the kernel's
 * backend interface. Plugins keep the local SQLite replica's synchronous API; the cluster mirrors
 * it, carries the events of every node and routes requests to the node holding an instance's lease.
 */
export class PostgresBackend implements StoresBackend {
  readonly shared = true

  constructor(
    readonly cluster: Cluster,
    readonly storage: Storage,
  ) {}

  get feed(): Cluster['feed'] {
    return this.cluster.feed
  }

  attach(kernel: KernelRuntime): void {
    // Every event also goes to the cluster bus (the SSE streams of every node read it from there).
    kernel.bus.subscribe((event) => this.cluster.replica.publish(event))
    this.cluster.leases.attach(kernel.instances)
    Object.defineProperty(kernel, 'cluster', { value: this.cluster, enumerable: true })
  }

  /** A cluster node boots an instance only while it holds its lease. */
  beforeBoot(directory: string): Promise<void> {
    return this.cluster.leases.claim(directory)
  }

  node(url: string | undefined): NodeInfo {
    const cluster = this.cluster
    return {
      id: cluster.nodeId,
      url: cluster.nodeUrl ?? url,
      backend: 'postgres',
      instances: cluster.leases.owned(),
      database: cluster.healthy ? 'reachable' : 'unreachable',
    }
  }

  routing(app: FastifyInstance, instances: InstanceManager): ClusterRouting {
    return new ClusterRouting(instances, this.cluster, () => app.websocketServer)
  }

  ready(): Promise<void> {
    return this.cluster.ready()
  }

  start(url: string): void {
    this.cluster.start(url)
  }

  async close(): Promise<void> {
    await this.cluster.close()
    this.storage.close()
  }
}

/**
 * A cluster node whose local replica is a fresh SQLite file in a temp dir, loaded from the
 * database and removed when the server closes.
 */
export async function openPostgresBackend(
  url: string,
  options: BackendOptions,
  { env, dataDir, log, replayCapacity }: OpenBackendContext,
): Promise<PostgresBackend> {
  const secret = options.clusterSecret ?? env.OPENCODE_KERNEL_CLUSTER_SECRET
  if (!secret || secret.length < 16) {
    throw new Error(
      'OPENCODE_KERNEL_CLUSTER_SECRET must be set (16 characters or more) when the database is PostgreSQL: the servers sharing it authenticate to each other with it',
    )
  }
  const ttl =
    options.leaseTtlMs ?? (env.OPENCODE_KERNEL_LEASE_TTL_MS ? Number(env.OPENCODE_KERNEL_LEASE_TTL_MS) : undefined)
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1000))
    throw new Error(`OPENCODE_KERNEL_LEASE_TTL_MS must be a whole number of milliseconds, at least 1000, got "${ttl}"`)
  const replicaDir = join(dataDir, 'replicas')
  removeDeadReplicas(replicaDir)
  const file = join(replicaDir, `${process.pid}-${randomBytes(4).toString('hex')}.db`)
  const storage = new Storage(file)
  storage.onClose(() => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
  })
  try {
    const cluster = await Cluster.open(
      {
        url,
        secret,
        log,
        nodeUrl: options.nodeUrl ?? env.OPENCODE_KERNEL_NODE_URL,
        nodeId: options.nodeId ?? env.OPENCODE_KERNEL_NODE_ID,
        leaseTtlMs: ttl,
        eventRetention: replayCapacity,
      },
      storage,
    )
    log.info({ database: redact(url), node: cluster.nodeId }, 'stores on PostgreSQL')
    return new PostgresBackend(cluster, storage)
  } catch (error) {
    storage.close()
    throw error
  }
}

/**
 * Removes the replica files that processes which are gone left behind (killed before they could
 * remove their own); the name starts with the pid of the process that owns the file.
 */
function removeDeadReplicas(dir: string): void {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const pid = Number(name.split('-')[0])
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue
    rmSync(join(dir, name), { force: true })
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
