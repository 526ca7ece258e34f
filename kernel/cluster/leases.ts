import { NamedError } from '../core/errors.js'
import type { Cluster } from './cluster.js'
import { DB_NOW } from './replica-sql.js'

/** Another live node holding an instance's lease, reached at `url`. */
export interface RemoteOwner {
  /** Its node id. */
  owner: string
  url: string
  /** Milliseconds until its lease expires unrenewed. */
  remainingMs: number
}

/** Who runs an instance: this node, or another live node. */
export type LeaseOwner = { owner: 'self' } | RemoteOwner

export function isSelf(owner: LeaseOwner): owner is { owner: 'self' } {
  return owner.owner === 'self'
}

/** What the lease manager needs of the kernel's instance cache. */
export interface LeasedInstances {
  has(directory: string): boolean
  dispose(directory: string): Promise<unknown>
}

/**
 * The instance runs on another node (the request is forwarded there), or could not be reached /
 * is no longer owned by the node a request was forwarded to: the client retries.
 */
export class InstanceUnavailableError extends NamedError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super('InstanceUnavailableError', 503, { message, retryAfterMs })
  }
}

/** Thrown where an instance is booted while another node holds its lease; requests are forwarded to `owner`. */
export class InstanceElsewhereError extends InstanceUnavailableError {
  constructor(
    readonly directory: string,
    readonly owner: RemoteOwner,
  ) {
    super(`Instance ${directory} runs on node ${owner.owner}`, Math.max(100, owner.remainingMs))
  }
}

// Milliseconds since the epoch by the database's clock: every node compares expiries on one clock.

// `epoch` changes each time the lease changes hands: the writes of an instance commit only while
// their node still holds the epoch it took (Replica's fence), so a node that lost the lease during
// a pause writes nothing over the new owner's.
const CREATE = `CREATE TABLE IF NOT EXISTS kernel_lease (
  directory text PRIMARY KEY,
  node_id text NOT NULL,
  node_url text NOT NULL,
  expires_at bigint NOT NULL
);
ALTER TABLE kernel_lease ADD COLUMN IF NOT EXISTS epoch bigint NOT NULL DEFAULT 0;
CREATE SEQUENCE IF NOT EXISTS kernel_lease_epoch`

// Takes the lease if it is free, expired or already ours; else reports the holder. One statement:
// the outer SELECT sees the row as it was before the INSERT, which only matters when the INSERT
// did nothing (the holder is someone else).
const ACQUIRE = `WITH taken AS (
  INSERT INTO kernel_lease AS lease (directory, node_id, node_url, expires_at, epoch)
  VALUES ($1, $2, $3, ${DB_NOW} + $4::bigint, nextval('kernel_lease_epoch'))
  ON CONFLICT (directory) DO UPDATE SET node_id = excluded.node_id, node_url = excluded.node_url,
    expires_at = excluded.expires_at,
    epoch = CASE WHEN lease.node_id = excluded.node_id THEN lease.epoch ELSE excluded.epoch END
  WHERE lease.node_id = excluded.node_id OR lease.expires_at < ${DB_NOW}
  RETURNING node_id, node_url, expires_at, epoch
)
SELECT node_id, node_url, expires_at::text AS expires_at, (expires_at - ${DB_NOW})::int AS remaining, epoch FROM taken
UNION ALL
SELECT node_id, node_url, expires_at::text, (expires_at - ${DB_NOW})::int, epoch FROM kernel_lease
WHERE directory = $1 AND NOT EXISTS (SELECT 1 FROM taken)`

const RENEW = `UPDATE kernel_lease SET expires_at = ${DB_NOW} + $2::bigint, node_url = $4
WHERE node_id = $1 AND directory = ANY($3::text[])
RETURNING directory, expires_at::text AS expires_at`

interface Held {
  /** The lease's epoch when this node took it. */
  epoch: number
  /** `performance.now()` after which this node must stop running the instance unless renewed. */
  fenceAt: number
  /** The expiry last written, so a release never deletes a lease renewed since. */
  expiresAt: string
  /** When the instance was last found not running (for handing idle leases back). */
  idleSince?: number
}

interface LostLease {
  directory: string
  epoch: number
  /** The instance has stopped here: nothing more is written under this lease. */
  stopped: boolean
}

/** A lease a flush's writes were made under; `settled`: a lost one that ends with this flush. */
export interface Fence {
  directory: string
  epoch: number
  settled?: LostLease
}

interface Elsewhere {
  owner: string
  url: string
  /** `performance.now()` until which the answer is trusted (the holder's expiry). */
  until: number
}

/**
 * Which node runs which instance (directory): a row per directory in `kernel_lease`, taken on first
 * use, renewed every ttl/3, handed back at shutdown. A node that cannot renew in time stops its
 * instances before the lease can expire, so a prompt never runs on two nodes.
 */
export class LeaseManager {
  private readonly held = new Map<string, Held>()
  /**
   * Leases this node lost without handing them back (a renewal too late, another node took over).
   * Writes made under one (the instance's work winding down included) commit only if PostgreSQL
   * still has this node at that epoch; it is forgotten once the instance stopped here and a flush
   * committed after that.
   */
  private readonly lost: LostLease[] = []
  private readonly elsewhere = new Map<string, Elsewhere>()
  private readonly acquiring = new Map<string, Promise<LeaseOwner>>()
  private instances: LeasedInstances | undefined
  private table: Promise<void> | undefined
  private renewTimer: NodeJS.Timeout | undefined
  private fenceTimer: NodeJS.Timeout | undefined
  private renewing: Promise<void> | undefined
  private closed = false

  constructor(private readonly cluster: Cluster) {}

  /** Renewals stop, and lost leases are enforced, on this instance cache (the kernel attaches it). */
  attach(instances: LeasedInstances): void {
    this.instances = instances
  }

  private get ttl(): number {
    return this.cluster.leaseTtlMs
  }

  /** Safety margin before the expiry at which this node stops an instance it could not renew. */
  private get margin(): number {
    return Math.min(2000, Math.max(100, Math.floor(this.ttl / 5)))
  }

  /** Starts renewing (also on the first lease taken: a server used before it listens must renew too). */
  start(): void {
    if (this.renewTimer || this.closed) return
    this.renewTimer = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.ttl / 3)))
    this.renewTimer.unref()
  }

  /** Hands every lease back (others take over at once) and stops renewing. */
  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.renewTimer)
    clearTimeout(this.fenceTimer)
    this.renewTimer = undefined
    await this.renewing
    const directories = [...this.held.keys()]
    this.held.clear()
    this.elsewhere.clear()
    if (directories.length === 0 || !this.table) return
    await this.cluster.db.query('DELETE FROM kernel_lease WHERE node_id = $1 AND directory = ANY($2::text[])', [
      this.cluster.nodeId,
      directories,
    ])
  }

  /** The directories this node holds a lease on. */
  owned(): string[] {
    return [...this.held.keys()]
  }

  /**
   * The leases (directory → epoch) this node's uncommitted writes were made under: those it holds
   * and those it lost with writes pending. A flush commits only while PostgreSQL still has each.
   */
  fences(): Fence[] {
    return [
      ...[...this.held].map(([directory, held]) => ({ directory, epoch: held.epoch })),
      ...this.lost.map((lost) => ({
        directory: lost.directory,
        epoch: lost.epoch,
        settled: lost.stopped ? lost : undefined,
      })),
    ]
  }

  /** A flush checked against `fences` committed: lost leases whose instance had stopped are done. */
  committed(fences: Fence[]): void {
    for (const { settled } of fences) {
      const index = settled ? this.lost.indexOf(settled) : -1
      if (index >= 0) this.lost.splice(index, 1)
    }
  }

  /** The live node other than this one that holds the lease of `directory`, if any (never takes it). */
  async holder(directory: string): Promise<RemoteOwner | undefined> {
    const known = this.elsewhere.get(directory)
    if (known && performance.now() < known.until)
      return { owner: known.owner, url: known.url, remainingMs: Math.round(known.until - performance.now()) }
    if (this.held.has(directory)) return undefined
    await this.ensureTable()
    const [row] = await this.cluster.db.query<{ node_id: string; node_url: string; remaining: number }>(
      `SELECT node_id, node_url, (expires_at - ${DB_NOW})::int AS remaining FROM kernel_lease
       WHERE directory = $1 AND node_id <> $2 AND expires_at > ${DB_NOW}`,
      [directory, this.cluster.nodeId],
    )
    return row ? { owner: row.node_id, url: row.node_url, remainingMs: row.remaining } : undefined
  }

  /** Whether `node` holds the unexpired lease of `directory` (true when the database cannot say). */
  async heldBy(directory: string, node: string): Promise<boolean> {
    try {
      const rows = await this.cluster.db.query(
        `SELECT 1 FROM kernel_lease WHERE directory = $1 AND node_id = $2 AND expires_at > ${DB_NOW}`,
        [directory, node],
      )
      return rows.length > 0
    } catch {
      return true
    }
  }

  /** True while this node holds the lease of `directory` and is within its time (no query). */
  holds(directory: string): boolean {
    const held = this.held.get(directory)
    return held !== undefined && performance.now() < held.fenceAt
  }

  /**
   * Takes the lease of `directory` if no other live node has it. A newly taken lease first brings
   * the replica up to date, so the instance boots on every change the previous owner committed.
   * Another node's lease is remembered until it expires: forwarding costs no query per request.
   */
  acquire(directory: string): Promise<LeaseOwner> {
    if (this.holds(directory)) return Promise.resolve({ owner: 'self' })
    const known = this.elsewhere.get(directory)
    if (known && performance.now() < known.until)
      return Promise.resolve({
        owner: known.owner,
        url: known.url,
        remainingMs: Math.round(known.until - performance.now()),
      })
    const pending = this.acquiring.get(directory)
    if (pending) return pending
    const attempt = this.take(directory).finally(() => this.acquiring.delete(directory))
    this.acquiring.set(directory, attempt)
    return attempt
  }

  /** Forgets what was learnt about another node's lease (it did not answer, or no longer owns it). */
  forget(directory: string): void {
    this.elsewhere.delete(directory)
  }

  /** For the instance cache: resolves when this node may boot `directory`, else throws InstanceElsewhereError. */
  async claim(directory: string): Promise<void> {
    const owner = await this.acquire(directory)
    if (!isSelf(owner)) throw new InstanceElsewhereError(directory, owner)
  }

  private async take(directory: string): Promise<LeaseOwner> {
    if (this.closed) throw new InstanceUnavailableError('This server is shutting down', 1000)
    await this.ensureTable().catch((error: unknown) => {
      this.cluster.log.warn({ err: error }, 'cluster: creating the lease table failed')
      throw new InstanceUnavailableError('The database does not answer; retry', 1000)
    })
    const { nodeId } = this.cluster
    const nodeUrl = this.cluster.nodeUrl ?? ''
    for (let attempt = 0; attempt < 3; attempt++) {
      const started = performance.now()
      let row: { node_id: string; node_url: string; expires_at: string; remaining: number; epoch: number } | undefined
      try {
        ;[row] = await this.cluster.db.query<NonNullable<typeof row>>(ACQUIRE, [directory, nodeId, nodeUrl, this.ttl])
      } catch (error) {
        this.cluster.log.warn({ err: error, directory }, 'cluster: taking an instance lease failed')
        throw new InstanceUnavailableError(
          `Which node runs instance ${directory} cannot be found out now (the database does not answer); retry`,
          1000,
        )
      }
      // No row: another node inserted it after this statement's snapshot; ask again.
      if (!row) continue
      if (row.node_id === nodeId) {
        const fresh = !this.held.has(directory)
        this.held.set(directory, {
          epoch: row.epoch,
          fenceAt: started + this.ttl - this.margin,
          expiresAt: row.expires_at,
        })
        this.start()
        this.elsewhere.delete(directory)
        this.scheduleFence()
        if (fresh) {
          this.cluster.log.info({ directory, node: nodeId }, 'cluster: instance lease taken')
          await this.cluster.replica.catchUp()
        }
        return { owner: 'self' }
      }
      const remainingMs = Math.max(0, row.remaining)
      this.elsewhere.set(directory, { owner: row.node_id, url: row.node_url, until: started + remainingMs })
      return { owner: row.node_id, url: row.node_url, remainingMs }
    }
    throw new InstanceUnavailableError(`The lease of instance ${directory} is changing hands; retry`, 200)
  }

  private ensureTable(): Promise<void> {
    this.table ??= this.cluster.db.query(CREATE).then(
      () => undefined,
      (error: unknown) => {
        this.table = undefined
        throw error
      },
    )
    return this.table
  }

  /** Renews every lease in one statement; leases another node took meanwhile are given up. */
  private renew(): Promise<void> {
    if (this.renewing || this.closed) return this.renewing ?? Promise.resolve()
    this.renewing = this.renewNow().finally(() => (this.renewing = undefined))
    return this.renewing
  }

  private async renewNow(): Promise<void> {
    const now = performance.now()
    this.handBackIdle(now)
    const directories = [...this.held.keys()]
    if (directories.length === 0) return
    let rows: { directory: string; expires_at: string }[]
    try {
      rows = await this.cluster.db.query(RENEW, [
        this.cluster.nodeId,
        this.ttl,
        directories,
        this.cluster.nodeUrl ?? '',
      ])
    } catch (error) {
      // The fence timer stops the instances if no renewal succeeds in time.
      this.cluster.log.warn({ err: error }, 'cluster: renewing instance leases failed')
      return
    }
    if (this.closed) return
    const renewed = new Map(rows.map((row) => [row.directory, row.expires_at]))
    for (const directory of directories) {
      const held = this.held.get(directory)
      if (!held) continue
      const expiresAt = renewed.get(directory)
      if (expiresAt === undefined) {
        this.cluster.log.warn({ directory }, 'cluster: instance lease lost to another node; stopping the instance here')
        this.lose(directory)
        continue
      }
      held.fenceAt = now + this.ttl - this.margin
      held.expiresAt = expiresAt
    }
    this.scheduleFence()
  }

  /** Leases of instances that stopped running here (evicted, disposed) go back after a ttl idle. */
  private handBackIdle(now: number): void {
    if (!this.instances) return
    const idle: { directory: string; expiresAt: string }[] = []
    for (const [directory, held] of this.held) {
      if (this.instances.has(directory) || this.acquiring.has(directory)) {
        held.idleSince = undefined
        continue
      }
      held.idleSince ??= now
      if (now - held.idleSince < this.ttl) continue
      this.held.delete(directory)
      idle.push({ directory, expiresAt: held.expiresAt })
    }
    for (const { directory, expiresAt } of idle) {
      // Only the lease as last written: a request that took it again since keeps it. Its writes
      // commit first, while the lease still fences them.
      void this.cluster.replica
        .flush()
        .then(() =>
          this.cluster.db.query(
            'DELETE FROM kernel_lease WHERE directory = $1 AND node_id = $2 AND expires_at = $3::bigint',
            [directory, this.cluster.nodeId, expiresAt],
          ),
        )
        .catch((error: unknown) =>
          this.cluster.log.warn({ err: error, directory }, 'cluster: handing an idle lease back failed'),
        )
    }
  }

  /** Stops the instance at once: from now on another node may take the lease. */
  private lose(directory: string): void {
    const held = this.held.get(directory)
    this.held.delete(directory)
    if (!held) return
    const lost: LostLease = { directory, epoch: held.epoch, stopped: false }
    this.lost.push(lost)
    void (this.instances?.dispose(directory) ?? Promise.resolve())
      .catch((error: unknown) =>
        this.cluster.log.error({ err: error, directory }, 'cluster: stopping an instance whose lease was lost failed'),
      )
      .finally(() => (lost.stopped = true))
  }

  /** Wakes at the earliest fence time: instances whose lease could not be renewed stop there. */
  private scheduleFence(): void {
    clearTimeout(this.fenceTimer)
    let earliest = Infinity
    for (const held of this.held.values()) earliest = Math.min(earliest, held.fenceAt)
    if (earliest === Infinity || this.closed) return
    this.fenceTimer = setTimeout(() => this.fence(), Math.max(0, earliest - performance.now()))
    this.fenceTimer.unref()
  }

  private fence(): void {
    const now = performance.now()
    for (const [directory, held] of this.held) {
      if (now < held.fenceAt) continue
      this.cluster.log.error(
        { directory },
        'cluster: instance lease could not be renewed in time; stopping the instance here',
      )
      this.lose(directory)
    }
    this.scheduleFence()
  }
}
