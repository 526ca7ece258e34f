import type { FastifyBaseLogger } from 'fastify'
import { parseDatabaseUrl } from './database-url.js'
import { SqliteBackend } from './sqlite-backend.js'
import { Storage } from './sqlite-storage.js'
import type { BackendOptions, StoresBackend } from './stores-backend.js'

export interface OpenBackendContext {
  env: NodeJS.ProcessEnv
  dataDir: string
  log: FastifyBaseLogger
  /** Events kept for `Last-Event-ID` replay (a shared backend keeps as many in its events table). */
  replayCapacity?: number
}

/**
 * The kernel's stores: the SQLite file, or a PostgreSQL database shared with other servers (its
 * code is loaded only then).
 */
export async function openBackend(options: BackendOptions, context: OpenBackendContext): Promise<StoresBackend> {
  const target = parseDatabaseUrl(options.database ?? context.env.OPENCODE_KERNEL_DATABASE_URL, context.dataDir)
  if (target.kind === 'sqlite') return new SqliteBackend(new Storage(target.file))
  const { openPostgresBackend } = await import('../cluster/postgres-backend.js')
  return openPostgresBackend(target.url, options, context)
}
