import type { FastifyBaseLogger } from 'fastify'
import type { Client, Pool, PoolClient } from 'pg'
import { redact } from '../storage/database-url.js'

type PgModule = (typeof import('pg'))['default']

/** The database cannot be reached (or went away): requests answer 503 until it is back. */
export class DatabaseUnavailableError extends Error {}

/** Another running node of the cluster has this node's id. */
export class NodeIdTakenError extends Error {
  constructor(readonly nodeId: string) {
    super(
      `another running node of this cluster has the node id "${nodeId}": give each node its own OPENCODE_KERNEL_NODE_ID (--node-id), or leave it unset for a random one`,
    )
  }
}

/** The first key of the advisory lock each node holds on its id (the second: the id's hash). */
const NODE_ID_LOCK = 0x6f6b6e64

/** Errors that mean "the database is not there", as opposed to a statement it refused. */
export function isConnectionError(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  if (error instanceof DatabaseUnavailableError) return true
  if (typeof code === 'string' && /^(08|57P0|53300|E[A-Z]+)/.test(code)) return true
  return (
    typeof message === 'string' &&
    /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(
      message,
    )
  )
}

const PROBE_MS = 500
/** The longest a statement may run (start-up's loads of whole tables included). */
const STATEMENT_TIMEOUT_MS = 120_000
const IDLE_TRANSACTION_TIMEOUT_MS = 10_000

/**
 * The connection pool to PostgreSQL, a dedicated connection for LISTEN, and whether the database
 * answers. When a statement fails because the database went away, `healthy` turns false and a
 * probe runs every half second; once the database answers again, `onRecovered` listeners run.
 */
export class PgDatabase {
  healthy = true
  private probing?: NodeJS.Timeout
  private closed = false
  private listener?: Client
  private listening?: { channel: string; onNotify: () => void }
  private identity?: { nodeId: string; onLost: (error: NodeIdTakenError) => void }
  private readonly recoveredListeners: (() => void)[] = []

  private constructor(
    private readonly pg: PgModule,
    readonly url: string,
    readonly pool: Pool,
    readonly log: FastifyBaseLogger,
  ) {
    pool.on('error', (error) => this.failed(error))
  }

  /** Connects and checks the database answers; throws a clear error when it does not. */
  static async connect(url: string, log: FastifyBaseLogger): Promise<PgDatabase> {
    const { default: pg } = await import('pg')
    // bigint (counts, ids) and numeric (the mirror of SQLite numbers) as JavaScript numbers.
    pg.types.setTypeParser(20, Number)
    pg.types.setTypeParser(1700, Number)
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      // A stalled statement (a lock wait behind a stuck node's flush included) or a transaction a
      // node left open cannot hold the others up for long: PostgreSQL ends them.
      statement_timeout: STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: IDLE_TRANSACTION_TIMEOUT_MS,
    })
    try {
      await pool.query('SELECT 1')
    } catch (error) {
      await pool.end().catch(() => {})
      throw new DatabaseUnavailableError(
        `cannot use the database ${redact(url)}: ${(error as Error).message || String(error)}`,
      )
    }
    return new PgDatabase(pg, url, pool, log)
  }

  /** Runs one statement; a connection failure marks the database unhealthy (and rethrows). */
  async query<R = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    if (!this.healthy) throw new DatabaseUnavailableError('the database is unreachable')
    try {
      return (await this.pool.query(sql, params)).rows as R[]
    } catch (error) {
      this.failed(error)
      throw error
    }
  }

  /** Runs `work` in one transaction on one connection (`isolation`: e.g. 'REPEATABLE READ READ ONLY'). */
  async transaction<T>(work: (client: PoolClient) => Promise<T>, isolation?: string): Promise<T> {
    if (!this.healthy) throw new DatabaseUnavailableError('the database is unreachable')
    let client: PoolClient
    try {
      client = await this.pool.connect()
    } catch (error) {
      this.failed(error)
      throw error
    }
    let broken = false
    try {
      await client.query(isolation ? `BEGIN ISOLATION LEVEL ${isolation}` : 'BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      broken = isConnectionError(error)
      if (!broken) await client.query('ROLLBACK').catch(() => (broken = true))
      this.failed(error)
      throw error
    } finally {
      client.release(broken)
    }
  }

  /**
   * Holds an advisory lock on `nodeId` for as long as this node runs (on the connection that also
   * LISTENs): a second process with the same id is refused at start (NodeIdTakenError). Should the
   * id be taken while the database was away, `onLost` is told once it is back.
   */
  async claim(nodeId: string, onLost: (error: NodeIdTakenError) => void): Promise<void> {
    this.identity = { nodeId, onLost }
    await this.openListener()
  }

  /** Calls `onNotify` on every NOTIFY of `channel`, over a connection that reconnects after an outage. */
  async listen(channel: string, onNotify: () => void): Promise<void> {
    this.listening = { channel, onNotify }
    if (this.listener) await this.listener.query(`LISTEN ${channel}`)
    else await this.openListener()
  }

  /** Runs after each outage, once the database answers again. */
  onRecovered(listener: () => void): void {
    this.recoveredListeners.push(listener)
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.probing)
    const listener = this.listener
    this.listener = undefined
    await listener?.end().catch(() => {})
    await this.pool.end().catch(() => {})
  }

  /** The node's own connection: its id's lock and its LISTEN. */
  private async openListener(): Promise<void> {
    if ((!this.listening && !this.identity) || this.closed) return
    const client = new this.pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5000 })
    client.on('error', (error) => this.failed(error))
    client.on('end', () => {
      if (this.listener === client) {
        this.listener = undefined
        if (!this.closed) this.failed(new DatabaseUnavailableError('the LISTEN connection ended'))
      }
    })
    client.on('notification', () => this.listening?.onNotify())
    try {
      await client.connect()
      if (this.identity) {
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
          NODE_ID_LOCK,
          this.identity.nodeId,
        ])
        if (!rows[0]?.ok) throw new NodeIdTakenError(this.identity.nodeId)
      }
      if (this.listening) await client.query(`LISTEN ${this.listening.channel}`)
    } catch (error) {
      await client.end().catch(() => {})
      this.failed(error)
      throw error
    }
    this.listener = client
  }

  private failed(error: unknown): void {
    if (this.closed || !isConnectionError(error)) return
    if (this.healthy)
      this.log.error({ err: error }, 'cluster: the database is unreachable; requests answer 503 until it is back')
    this.healthy = false
    this.probing ??= setTimeout(() => void this.probe(), PROBE_MS)
  }

  private async probe(): Promise<void> {
    this.probing = undefined
    if (this.closed) return
    try {
      await this.pool.query('SELECT 1')
      if ((this.listening || this.identity) && !this.listener) await this.openListener()
    } catch (error) {
      if (error instanceof NodeIdTakenError) {
        this.identity?.onLost(error)
        return
      }
      this.probing = setTimeout(() => void this.probe(), PROBE_MS)
      return
    }
    this.healthy = true
    this.log.info('cluster: the database answers again')
    for (const listener of this.recoveredListeners) listener()
  }
}
