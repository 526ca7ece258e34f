import { type Migration, type SqliteDatabase } from '../../sdk/index.js'
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export type Credential =
  | { type: 'api'; key: string }
  | { type: 'oauth'; refresh: string; access: string; expires: number }
  | { type: 'wellknown'; key: string; token: string }
  /** Resolved by a login method outside this server (OpenCode 2.1's AWS profile, gcloud); no secret here. */
  | { type: 'external' }

/** What a stored credential carries besides its secret (OpenCode 2.1's credential entries). */
export interface CredentialMeta {
  /** `cred_…`; an entry written before ids existed has none (its id derives from the provider). */
  id?: string
  label?: string
  /** Epoch ms: orders the credentials of one provider. */
  created?: number
  /** The login method that produced it (OAuth, external). */
  methodID?: string
  metadata?: Record<string, unknown>
}

/** One credential: its secret fields and what describes it. */
export type CredentialRecord = Credential & CredentialMeta

/**
 * A provider's entry in auth.json: its active credential (the fields v1 and OpenCode 1.x read),
 * and the provider's other credentials, kept for switching (OpenCode 2.1 keeps several).
 */
export type StoredCredential = CredentialRecord & { inactive?: CredentialRecord[] }

/**
 * Provider credentials in `<data dir>/auth.json`, mode 0600, written atomically (a temp file
 * with the same mode, then rename). No secret here is ever sent to a client in clear.
 */
export class CredentialStore {
  protected cache: Record<string, StoredCredential> | undefined
  private readonly file: string

  constructor(dataDir: string) {
    this.file = join(dataDir, 'auth.json')
  }

  all(): Record<string, StoredCredential> {
    this.cache ??= this.readFile()
    return this.cache
  }

  protected readFile(): Record<string, StoredCredential> {
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as unknown
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, StoredCredential>)
        : {}
    } catch {
      return {}
    }
  }

  get(providerID: string): StoredCredential | undefined {
    return Object.hasOwn(this.all(), providerID) ? this.all()[providerID] : undefined
  }

  set(providerID: string, credential: StoredCredential): void {
    this.write({ ...this.all(), [providerID]: credential })
  }

  remove(providerID: string): boolean {
    if (!this.get(providerID)) return false
    const next = { ...this.all() }
    delete next[providerID]
    this.write(next)
    return true
  }

  protected write(next: Record<string, StoredCredential>): void {
    mkdirSync(dirname(this.file), { recursive: true })
    const temp = `${this.file}.${process.pid}.tmp`
    writeFileSync(temp, JSON.stringify(next, null, 2), { mode: 0o600 })
    chmodSync(temp, 0o600)
    renameSync(temp, this.file)
    this.cache = next
  }

  /** Tightens the mode of a file written by someone else. */
  secure(): void {
    if (existsSync(this.file)) chmodSync(this.file, 0o600)
  }
}

export const SHARED_CREDENTIAL_MIGRATIONS: Migration[] = [
  {
    id: '0001-provider-credentials',
    up: (db) => db.exec('CREATE TABLE provider_credential (provider_id TEXT PRIMARY KEY, data TEXT NOT NULL)'),
  },
]

/**
 * Credentials on a cluster (stores in PostgreSQL): kept in the shared stores, so a key set through
 * any server reaches the server running the instance; this server's auth.json is read beneath them
 * (and still written, so the file stays what OpenCode's CLI reads on this machine).
 */
export class SharedCredentialStore extends CredentialStore {
  constructor(
    dataDir: string,
    private readonly db: SqliteDatabase,
  ) {
    super(dataDir)
  }

  override all(): Record<string, StoredCredential> {
    if (this.cache) return this.cache
    const shared = this.db
      .prepare<[], { provider_id: string; data: string }>('SELECT provider_id, data FROM provider_credential')
      .all()
    this.cache = {
      ...this.readFile(),
      ...Object.fromEntries(shared.map((row) => [row.provider_id, JSON.parse(row.data) as StoredCredential])),
    }
    return this.cache
  }

  /** Another server changed the credentials: read them again. */
  forget(): void {
    this.cache = undefined
  }

  protected override write(next: Record<string, StoredCredential>): void {
    const upsert = this.db.prepare(
      'INSERT INTO provider_credential (provider_id, data) VALUES (?, ?) ON CONFLICT (provider_id) DO UPDATE SET data = excluded.data',
    )
    const remove = this.db.prepare('DELETE FROM provider_credential WHERE provider_id = ?')
    this.db.transaction(() => {
      for (const providerID of Object.keys(this.all())) if (!Object.hasOwn(next, providerID)) remove.run(providerID)
      for (const [providerID, credential] of Object.entries(next)) upsert.run(providerID, JSON.stringify(credential))
    })()
    super.write(next)
  }
}
