// Well-known sources (`POST /api/experimental/integration/wellknown`): an organisation's server
// publishes `/.well-known/opencode` with the command that logs a user in; each source becomes an
// integration whose `command` method runs it. Sources are kept in `<data>/wellknown.json`.
import type { ProviderKernel } from './index.js'
import { TaggedError, type Instance } from '../../sdk/index.js'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { IntegrationUpdated } from './events.js'

/** The manifest is fetched within this time, and read up to this size. */
const FETCH_TIMEOUT_MS = 10_000
const MAX_MANIFEST_BYTES = 1_000_000

export interface WellKnownSource {
  /** The URL it was added with (no trailing slash): the integration's id. */
  id: string
  /** The URL's host. */
  name: string
  /** What `connect/command` runs; its standard output is the credential. */
  command: string[]
  /** The env var the manifest exports the token as (OpenCode 1.x); kept for reference. */
  env?: string
}

/** A manifest that cannot be had or used: 400, kind `well_known_discovery` (as OpenCode). */
export class WellKnownDiscoveryError extends TaggedError {
  constructor(message: string) {
    super('InvalidRequestError', 400, message, { kind: 'well_known_discovery', field: 'url' })
  }
}

async function readManifest(response: Response): Promise<unknown> {
  const text = await response.text()
  if (text.length > MAX_MANIFEST_BYTES) throw new Error('manifest too large')
  return JSON.parse(text) as unknown
}

/** The login command of a manifest (`auth.command`), or undefined when it has none. */
function loginOf(manifest: unknown): { command: string[]; env?: string } | undefined {
  const auth = (manifest as { auth?: { command?: unknown; env?: unknown } } | null)?.auth
  const command = auth?.command
  if (!Array.isArray(command) || command.length === 0 || !command.every((part) => typeof part === 'string'))
    return undefined
  return { command: command as string[], ...(typeof auth?.env === 'string' ? { env: auth.env } : {}) }
}

export class WellKnownSources {
  private readonly file: string
  private sources: WellKnownSource[]

  constructor(private readonly kernel: Pick<ProviderKernel, 'paths' | 'publish'>) {
    this.file = join(kernel.paths.data, 'wellknown.json')
    this.sources = this.read()
  }

  private read(): WellKnownSource[] {
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as unknown
      return Array.isArray(parsed) ? (parsed as WellKnownSource[]).filter((source) => loginOf({ auth: source })) : []
    } catch {
      return []
    }
  }

  private write(): void {
    mkdirSync(dirname(this.file), { recursive: true })
    const temp = `${this.file}.${process.pid}.tmp`
    writeFileSync(temp, JSON.stringify(this.sources, null, 2), { mode: 0o600 })
    renameSync(temp, this.file)
  }

  list(): readonly WellKnownSource[] {
    return this.sources
  }

  get(id: string): WellKnownSource | undefined {
    return this.sources.find((source) => source.id === id)
  }

  /** Fetches `<url>/.well-known/opencode` and adds (or refreshes) the source it describes. */
  async add(instance: Instance, url: string): Promise<WellKnownSource> {
    const id = url.replace(/\/+$/, '')
    const manifestURL = `${id}/.well-known/opencode`
    let parsed: URL
    try {
      parsed = new URL(manifestURL)
    } catch {
      throw new WellKnownDiscoveryError(`Failed to load wellknown manifest from ${manifestURL}: not a URL`)
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new WellKnownDiscoveryError(`Failed to load wellknown manifest from ${manifestURL}: not an http(s) URL`)
    let manifest: unknown
    try {
      const response = await fetch(parsed, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
        redirect: 'follow',
      })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      manifest = await readManifest(response)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new WellKnownDiscoveryError(`Failed to load wellknown manifest from ${manifestURL}: ${reason}`)
    }
    const login = loginOf(manifest)
    if (!login)
      throw new WellKnownDiscoveryError(
        `The wellknown manifest at ${manifestURL} has no login command (auth.command, a list of strings)`,
      )
    const source: WellKnownSource = { id, name: parsed.hostname, ...login }
    this.sources = [...this.sources.filter((other) => other.id !== id), source]
    this.write()
    this.kernel.publish(instance, IntegrationUpdated, {})
    return source
  }
}
