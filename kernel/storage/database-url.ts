import { isAbsolute, join, resolve } from 'node:path'

/** Where the kernel keeps its stores: the embedded SQLite file, or a PostgreSQL database shared by several servers. */
export type DatabaseTarget = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string }

/** A `--database` value the server cannot use; the message says what is accepted. */
export class DatabaseUrlError extends Error {}

/**
 * Reads `--database` / `OPENCODE_KERNEL_DATABASE_URL`: absent means the SQLite file in the data
 * directory, `sqlite:<file>` another SQLite file (relative to the data directory), and
 * `postgres://` or `postgresql://` a PostgreSQL server.
 */
export function parseDatabaseUrl(value: string | undefined, dataDir: string): DatabaseTarget {
  const raw = value?.trim()
  if (!raw) return { kind: 'sqlite', file: join(dataDir, 'opencode-kernel.db') }
  if (raw.startsWith('sqlite:')) {
    let file = raw.slice('sqlite:'.length)
    if (file.startsWith('//')) file = file.slice(2)
    if (file === '')
      throw new DatabaseUrlError(
        'database "sqlite:" names no file: use sqlite:<file>, e.g. sqlite:/var/lib/opencode-kernel.db',
      )
    if (file === ':memory:') return { kind: 'sqlite', file }
    return { kind: 'sqlite', file: isAbsolute(file) ? file : resolve(dataDir, file) }
  }
  if (/^postgres(ql)?:\/\//i.test(raw)) {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw new DatabaseUrlError(`database URL is not a valid URL: ${redact(raw)}`)
    }
    if (!url.hostname && !url.searchParams.get('host'))
      throw new DatabaseUrlError(`database URL names no host: ${redact(raw)}`)
    return { kind: 'postgres', url: raw }
  }
  throw new DatabaseUrlError(
    `database must be postgres://user:password@host:port/name or sqlite:<file>, got "${redact(raw)}"`,
  )
}

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@')
}
