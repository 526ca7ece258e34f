import type { FastifyBaseLogger } from 'fastify'
import type { Pool } from 'pg'

/** The connection pool to PostgreSQL, and whether the database answers. (Being written by the lead.) */
export class PgDatabase {
  healthy = true
  private constructor(readonly pool: Pool, readonly log: FastifyBaseLogger) {}

  static async connect(url: string, log: FastifyBaseLogger): Promise<PgDatabase> {
    const { default: pg } = await import('pg')
    return new PgDatabase(new pg.Pool({ connectionString: url }), log)
  }

  /** Runs one statement; marks the database unhealthy when it cannot be reached. */
  async query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.pool.query(sql, params)).rows as R[]
  }

  async close(): Promise<void> {
    await this.pool.end()
  }
}
