import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export type Credential =
  | { type: 'api'; key: string }
  | { type: 'oauth'; refresh: string; access: string; expires: number }
  | { type: 'wellknown'; key: string; token: string }

/** A stored credential: its secret fields, plus the label v2 clients give it. */
export type StoredCredential = Credential & { label?: string }

/**
 * Provider credentials in `<data dir>/auth.json`, mode 0600, written atomically (a temp file
 * with the same mode, then rename). Nothing here is ever sent to a client.
 */
export class CredentialStore {
  private cache: Record<string, StoredCredential> | undefined
  private readonly file: string

  constructor(dataDir: string) {
    this.file = join(dataDir, 'auth.json')
  }

  all(): Record<string, StoredCredential> {
    if (this.cache) return this.cache
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as unknown
      this.cache = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, StoredCredential>) : {}
    } catch {
      this.cache = {}
    }
    return this.cache
  }

  get(providerID: string): StoredCredential | undefined {
    return Object.hasOwn(this.all(), providerID) ? this.all()[providerID] : undefined
  }

  set(providerID: string, credential: StoredCredential): void {
    this.write({ ...this.all(), [providerID]: credential })
  }

  /** Renames a stored credential; false when the provider has none. */
  relabel(providerID: string, label: string): boolean {
    const stored = this.get(providerID)
    if (!stored) return false
    this.set(providerID, { ...stored, label })
    return true
  }

  remove(providerID: string): boolean {
    if (!this.get(providerID)) return false
    const next = { ...this.all() }
    delete next[providerID]
    this.write(next)
    return true
  }

  private write(next: Record<string, StoredCredential>): void {
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
