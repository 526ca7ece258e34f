import type { FastifyInstance } from 'fastify'
import type { KernelRuntime } from '../core/kernel-runtime.js'
import type { NodeInfo } from '../core/kernel-api.js'
import type { EventFeed } from '../events/event-streams.js'
import type { RequestRouting } from '../http/request-routing.js'
import type { InstanceManager } from '../instances/instance.js'
import type { Storage } from './sqlite-storage.js'

/**
 * Where the kernel's stores live, and how its events and requests reach the other servers that
 * share them. The kernel and the app talk to this interface only: the SQLite file of one server
 * (`SqliteBackend`) and a PostgreSQL database shared by several (`kernel/cluster/`) plug in here.
 */
export interface StoresBackend {
  /** What plugins read and write: a local SQLite database in every backend. */
  readonly storage: Storage
  /** True when other servers share the stores (`Kernel.clustered`). */
  readonly shared: boolean
  /** Where the SSE streams read events; absent, the kernel's own bus. */
  readonly feed?: EventFeed
  /** Connects the backend to the kernel once it exists (its bus, its instance cache). */
  attach(kernel: KernelRuntime): void
  /** Runs before an instance boots; a rejection fails the boot (a cluster node claims its lease). */
  beforeBoot?(directory: string): Promise<void>
  /** This server as `GET /global/health` reports it. */
  node(url: string | undefined, instances: InstanceManager): NodeInfo
  /** For each app built: how requests reach the server running their instance. */
  routing?(app: FastifyInstance, instances: InstanceManager): RequestRouting
  /** Once the app is ready, before the server listens. */
  ready(): Promise<void>
  /** Once the server listens at `url`. */
  start(url: string): void
  /** Closes the stores, after the kernel disposed its instances. */
  close(): Promise<void>
}

/** The server options that say where the stores live. */
export interface BackendOptions {
  /**
   * Where the stores live: `postgres://…` (shared by several servers), `sqlite:<file>`, or absent
   * for the SQLite file in the data directory. Default `OPENCODE_KERNEL_DATABASE_URL`.
   */
  database?: string
  /** How the other servers of a cluster reach this one; default `OPENCODE_KERNEL_NODE_URL`, else the listen URL. */
  nodeUrl?: string
  /** This server's id in a cluster; default `OPENCODE_KERNEL_NODE_ID`, else a random one. */
  nodeId?: string
  /** Shared by the servers of a cluster; default `OPENCODE_KERNEL_CLUSTER_SECRET`. */
  clusterSecret?: string
  /** How long an instance lease lasts unrenewed; default `OPENCODE_KERNEL_LEASE_TTL_MS`, else 30 s. */
  leaseTtlMs?: number
}
