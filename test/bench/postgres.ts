// PostgreSQL for the benchmark (`BENCH_DATABASE`): a database of its own on a server given by URL,
// or a throwaway server (test/pg.ts) that, unlike the tests' one, keeps fsync and synchronous
// commits on: the figures measure what a deployment pays for each commit, only the network is
// loopback.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { startPostgres } from '../support/pg.js'

export interface BenchDatabase {
  /** `postgres://…/<fresh database>` for the servers measured. */
  url: string
  /** What the table says the server ran on, e.g. "PostgreSQL 15.14, throwaway server, fsync on". */
  label: string
  /** Drops the database; stops and removes the throwaway server. */
  close(): Promise<void>
}

async function admin<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(sql)).rows
  } finally {
    await client.end()
  }
}

/**
 * `BENCH_DATABASE=postgres`: a throwaway server; `BENCH_DATABASE=postgres://…`: that server.
 * Either way a fresh database, dropped by `close()`.
 */
export async function benchDatabase(value: string): Promise<BenchDatabase> {
  if (value !== 'postgres' && !/^postgres(ql)?:\/\//i.test(value))
    throw new Error(`BENCH_DATABASE must be "postgres" (a throwaway server) or a postgres:// URL, got "${value}"`)
  const server = value === 'postgres' ? await startPostgres({ cleanup: false, durable: true }) : undefined
  const adminUrl = server?.url() ?? value
  const name = `bench_${randomBytes(6).toString('hex')}`
  try {
    await admin(adminUrl, `CREATE DATABASE "${name}"`)
    const { version, fsync } = (
      await admin<{ version: string; fsync: string }>(
        adminUrl,
        "SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync",
      )
    )[0]!
    const url = new URL(adminUrl)
    url.pathname = `/${name}`
    return {
      url: url.toString(),
      label: `PostgreSQL ${version.split(' ')[0]}, ${server ? 'throwaway server on loopback' : url.host}, fsync ${fsync}`,
      async close() {
        try {
          await admin(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
        } finally {
          await server?.close()
        }
      },
    }
  } catch (error) {
    await server?.close()
    throw error
  }
}
