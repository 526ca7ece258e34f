import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export type Credential =
  | { type: 'api'; key: string }
  | { type: 'oauth'; refresh: string; access: string; expires: number }
  | { type: 'wellknown'; key: string; token: string }

/**
 * Provider credentials in `<data dir>/auth.json`, mode 0600, written atomically (a temp file
 * with the same mode, then rename). Nothing here is ever sent to a client.
 */
export class CredentialStore {
  private cache: Record<string, Credential> | undefined
  private readonly file: string

  constructor(dataDir: string) {
    this.file = join(dataDir, 'auth.json')
  }

  all(): Record<string, Credential> {
    if (this.cache) return this.cache
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as unknown
      this.cache = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, Credential>) : {}
    } catch {
      this.cache = {}
    }
    return this.cache
  }

  get(providerID: string): Credential | undefined {
    return Object.hasOwn(this.all(), providerID) ? this.all()[providerID] : undefined
  }

  set(providerID: string, credential: Credential): void {
    this.write({ ...this.all(), [providerID]: credential })
  }

  remove(providerID: string): boolean {
    if (!this.get(providerID)) return false
    const next = { ...this.all() }
    delete next[providerID]
    this.write(next)
    return true
  }

  private write(next: Record<string, Credential>): void {
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
