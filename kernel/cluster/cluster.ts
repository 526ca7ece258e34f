import type { FastifyBaseLogger } from 'fastify'
import { randomBytes } from 'node:crypto'
import type { Storage } from '../storage/sqlite-storage.js'
import { LeaseManager } from './leases.js'
import { PgDatabase } from './pg-database.js'
import { ClusterFeed } from './event-feed.js'
import { Replica } from './replica.js'

export interface ClusterOptions {
  /** `postgres://…` */
  url: string
  /** This server's id in the cluster; default a fresh random one per process. */
  nodeId?: string
  /** How the other servers reach this one (`--node-url`); default the URL it listens on. */
  nodeUrl?: string
  /** Shared by every server of the cluster: how they authenticate to each other. */
  secret: string
  /** How long a lease lasts without renewal (default 30 s); renewed every third of it. */
  leaseTtlMs?: number
  /** Events kept for `Last-Event-ID` replay (default 10,000; none older than 15 minutes either way). */
  eventRetention?: number
  log: FastifyBaseLogger
}

/**
 * A server that shares its PostgreSQL database with others. The node keeps a local SQLite replica
 * (the kernel's `Storage`, so plugins keep their synchronous API) and:
 * - `replica` writes every change it makes to PostgreSQL, in order, and applies the changes the
 *   other nodes make;
 * - `feed` is the cluster bus: events of every node, in one order, with ids from PostgreSQL;
 * - `leases` says which node runs which instance (directory); requests for an instance another
 *   live node runs are forwarded there.
 */
export class Cluster {
  readonly nodeId: string
  nodeUrl: string | undefined
  readonly secret: string
  readonly leaseTtlMs: number
  readonly eventRetention: number
  readonly log: FastifyBaseLogger
  readonly db: PgDatabase
  readonly replica: Replica
  readonly feed: ClusterFeed
  readonly leases: LeaseManager

  private constructor(options: ClusterOptions, db: PgDatabase, storage: Storage) {
    this.nodeId = options.nodeId ?? `node_${randomBytes(6).toString('hex')}`
    this.nodeUrl = options.nodeUrl
    this.secret = options.secret
    this.leaseTtlMs = options.leaseTtlMs ?? 30_000
    this.eventRetention = options.eventRetention ?? 10_000
    this.log = options.log
    this.db = db
    this.feed = new ClusterFeed(this)
    this.replica = new Replica(this, storage)
    this.leases = new LeaseManager(this)
  }

  /**
   * Connects, creates the cluster's tables, and loads the stores into `storage` (a fresh local
   * file). Throws with a clear message when the database cannot be reached.
   */
  static async open(options: ClusterOptions, storage: Storage): Promise<Cluster> {
    const db = await PgDatabase.connect(options.url, options.log)
    const cluster = new Cluster(options, db, storage)
    try {
      // Another process may take this id while the database is away: it runs the instances then.
      await db.claim(cluster.nodeId, (error) => cluster.fatal(error, 'cluster: this node id is taken; shutting down'))
      await cluster.replica.load()
    } catch (error) {
      cluster.replica.stop()
      await db.close()
      throw error
    }
    return cluster
  }

  /**
   * This node cannot go on safely (its replica cannot catch up, its id or a lease it wrote under
   * was taken): it stops writing and shuts down gracefully, to start again on a fresh replica.
   */
  fatal(error: unknown, message: string): void {
    this.log.fatal({ err: error }, message)
    this.replica.stop()
    process.kill(process.pid, 'SIGTERM')
  }

  /** True while the database answers; requests get 503 while it does not. */
  get healthy(): boolean {
    return this.db.healthy
  }

  /** Commits what start-up migrated and follows the other nodes; before the server listens. */
  async ready(): Promise<void> {
    await this.replica.start()
  }

  /** Starts renewing leases, once the server listens (peers reach it at `nodeUrl`). */
  start(nodeUrl: string): void {
    this.nodeUrl ??= nodeUrl
    this.leases.start()
  }

  /** Hands the leases back (others take over at once), writes what is left, disconnects. */
  async close(): Promise<void> {
    await this.replica
      .flush()
      .catch((error: unknown) => this.log.warn({ err: error }, 'cluster: last write to the database failed'))
    await this.leases
      .close()
      .catch((error: unknown) => this.log.warn({ err: error }, 'cluster: handing the leases back failed'))
    this.replica.stop()
    await this.db.close()
  }
}
