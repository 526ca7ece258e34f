// OpenCode 2.1's credentials (`/api/credential`): several per integration, one of them active,
// kept in the same auth.json entries v1 reads (the active one's fields at the top level, the
// others under `inactive`), so a key set through either surface is the one providers use.
import { ConflictError, ascendingId } from '../../sdk/index.js'
import type { Credential, CredentialMeta, CredentialRecord, CredentialStore, StoredCredential } from './auth.js'

type Metadata = Record<string, unknown>

/** A credential's value as OpenCode 2.1 shows it (`Credential.Value`). */
export type CredentialValue =
  | { type: 'key'; key: string; metadata?: Metadata }
  | { type: 'oauth'; methodID: string; refresh: string; access: string; expires: number; metadata?: Metadata }
  | { type: 'external'; methodID: string; metadata?: Metadata }

/** One credential as `/api/credential` answers it (`Credential.Entry`). */
export interface CredentialEntry {
  id: string
  integrationID: string
  label: string
  active: boolean
  value: CredentialValue
}

export interface CredentialInput {
  id?: string
  integrationID: string
  label?: string
  value: CredentialValue
  /** False keeps the integration's active credential (when it has one). */
  activate?: boolean
}

/** The id of an entry written before ids existed: derived from its provider, as 1.18's routes answered it. */
export const legacyCredentialID = (providerID: string) => `cred_${Buffer.from(providerID).toString('base64url')}`

const LEGACY_LABELS: Record<Credential['type'], string> = {
  api: 'API key',
  oauth: 'OAuth',
  wellknown: 'Well-known token',
  external: 'External',
}

/** A secret as clients see it: its last four characters when it is long enough to keep most hidden. */
export function maskSecret(secret: string): string {
  return secret.length >= 16 ? `****${secret.slice(-4)}` : '****'
}

function valueOf(record: CredentialRecord): CredentialValue {
  const metadata = record.metadata ? { metadata: record.metadata } : {}
  switch (record.type) {
    case 'api':
      return { type: 'key', key: record.key, ...metadata }
    case 'wellknown':
      // v1's well-known login: `key` names the env var the token is exported as.
      return { type: 'key', key: record.token, metadata: { ...record.metadata, wellknown: record.key } }
    case 'oauth': {
      const { refresh, access, expires } = record
      return { type: 'oauth', methodID: record.methodID ?? 'oauth', refresh, access, expires, ...metadata }
    }
    case 'external':
      return { type: 'external', methodID: record.methodID ?? 'external', ...metadata }
  }
}

/** The same value with every secret masked. */
export function maskValue(value: CredentialValue): CredentialValue {
  if (value.type === 'key') return { ...value, key: maskSecret(value.key) }
  if (value.type === 'oauth') return { ...value, refresh: maskSecret(value.refresh), access: maskSecret(value.access) }
  return value
}

/** A 2.1 value as auth.json keeps it (only each type's own fields). */
function recordOf(value: CredentialValue): CredentialRecord {
  const metadata = value.metadata ? { metadata: value.metadata } : {}
  switch (value.type) {
    case 'key':
      return { type: 'api', key: value.key, ...metadata }
    case 'oauth': {
      const { methodID, refresh, access, expires } = value
      return { type: 'oauth', refresh, access, expires, methodID, ...metadata }
    }
    case 'external':
      return { type: 'external', methodID: value.methodID, ...metadata }
  }
}

const withoutInactive = ({ inactive: _, ...record }: StoredCredential): CredentialRecord => record

/**
 * The credentials in a `CredentialStore`, by id. Every change is one write of the provider's
 * entry; answers are unmasked (routes mask them).
 */
export class CredentialBook {
  constructor(private readonly store: CredentialStore) {}

  /** A provider's credentials, the active one first. */
  private recordsOf(providerID: string): CredentialRecord[] {
    const stored = this.store.get(providerID)
    if (!stored) return []
    const active = { ...withoutInactive(stored), id: stored.id ?? legacyCredentialID(providerID) }
    return [active, ...(stored.inactive ?? [])]
  }

  private entry(providerID: string, record: CredentialRecord, active: boolean): CredentialEntry {
    return {
      id: record.id ?? legacyCredentialID(providerID),
      integrationID: providerID,
      label: record.label ?? LEGACY_LABELS[record.type] ?? 'Credential',
      active,
      value: valueOf(record),
    }
  }

  /** Writes a provider's credentials, the first one active; none forgets the provider. */
  private save(providerID: string, records: CredentialRecord[]): void {
    const [active, ...rest] = records
    if (!active) {
      this.store.remove(providerID)
      return
    }
    this.store.set(providerID, { ...active, ...(rest.length ? { inactive: rest } : {}) })
  }

  /** Every credential: each provider's active one first, then its others, newest first. */
  list(): CredentialEntry[] {
    return Object.keys(this.store.all()).flatMap((providerID) => this.ofIntegration(providerID))
  }

  /** One integration's credentials, the active one first. */
  ofIntegration(providerID: string): CredentialEntry[] {
    const [active, ...rest] = this.recordsOf(providerID)
    if (!active) return []
    const others = [...rest].sort((a, b) => (b.created ?? 0) - (a.created ?? 0))
    return [this.entry(providerID, active, true), ...others.map((record) => this.entry(providerID, record, false))]
  }

  /** The record of an id, with its provider and place (0: active). */
  private locate(id: string): { providerID: string; records: CredentialRecord[]; index: number } | undefined {
    for (const providerID of Object.keys(this.store.all())) {
      const records = this.recordsOf(providerID)
      const index = records.findIndex((record) => record.id === id)
      if (index >= 0) return { providerID, records, index }
    }
    return undefined
  }

  find(id: string): CredentialEntry | undefined {
    const found = this.locate(id)
    return found && this.entry(found.providerID, found.records[found.index]!, found.index === 0)
  }

  /** Stores a credential: active unless `activate: false` and the integration has one; a taken id is a 409. */
  create(input: CredentialInput): CredentialEntry {
    const id = input.id ?? ascendingId('cred')
    if (this.locate(id)) throw new ConflictError(`Credential already exists: ${id}`, { resource: id })
    const record: CredentialRecord = {
      ...recordOf(input.value),
      id,
      label: input.label ?? 'default',
      created: Date.now(),
    }
    const records = this.recordsOf(input.integrationID)
    const active = input.activate !== false || records.length === 0
    this.save(input.integrationID, active ? [record, ...records] : [...records, record])
    return this.entry(input.integrationID, record, active)
  }

  /** Renames a credential; undefined for an unknown id. */
  relabel(id: string, label: string): CredentialEntry | undefined {
    const found = this.locate(id)
    if (!found) return undefined
    const records = found.records.map((record, index) => (index === found.index ? { ...record, label } : record))
    this.save(found.providerID, records)
    return this.entry(found.providerID, records[found.index]!, found.index === 0)
  }

  /**
   * Forgets a credential. When it was the active one, the newest other one becomes active
   * (`promoted`). Undefined for an unknown id.
   */
  remove(id: string): { entry: CredentialEntry; promoted?: CredentialEntry } | undefined {
    const found = this.locate(id)
    if (!found) return undefined
    const entry = this.entry(found.providerID, found.records[found.index]!, found.index === 0)
    const rest = found.records.filter((_, index) => index !== found.index)
    if (found.index > 0) {
      this.save(found.providerID, rest)
      return { entry }
    }
    const [newest, ...others] = [...rest].sort((a, b) => (b.created ?? 0) - (a.created ?? 0))
    this.save(found.providerID, newest ? [newest, ...others] : [])
    return { entry, ...(newest ? { promoted: this.entry(found.providerID, newest, true) } : {}) }
  }

  /** Makes a credential its integration's active one; undefined for an unknown id. */
  activate(id: string): CredentialEntry | undefined {
    const found = this.locate(id)
    if (!found) return undefined
    const record = found.records[found.index]!
    if (found.index > 0) this.save(found.providerID, [record, ...found.records.filter((other) => other !== record)])
    return this.entry(found.providerID, record, true)
  }

  /**
   * v1 `PUT /auth/:id` and v1 logins: the credential becomes the provider's active one in place
   * of the active one; the provider's other credentials stay.
   */
  replaceActive(providerID: string, credential: Credential & CredentialMeta): CredentialEntry {
    const record: CredentialRecord = { ...credential, id: ascendingId('cred'), created: Date.now() }
    this.save(providerID, [record, ...this.recordsOf(providerID).slice(1)])
    return this.entry(providerID, record, true)
  }

  /** v1 `DELETE /auth/:id`: forgets every credential of the provider; false when it had none. */
  forget(providerID: string): boolean {
    return this.store.remove(providerID)
  }
}
