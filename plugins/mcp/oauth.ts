// OAuth for remote MCP servers: the client side the MCP SDK drives (discovery, dynamic client
// registration, PKCE, token refresh), with what it learns kept in `<data>/mcp-auth.json`.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js'
import type { McpRemoteConfig } from './schemas.js'

/** Where the browser comes back to when the config names no `redirectUri` (as OpenCode's). */
export const DEFAULT_CALLBACK_PORT = 19876
export const CALLBACK_PATH = '/mcp/oauth/callback'

/** What is stored per server name. */
interface McpCredentials {
  /** The server URL these were made for; another URL starts over. */
  serverUrl: string
  clientInformation?: OAuthClientInformationMixed
  tokens?: OAuthTokens
  codeVerifier?: string
  state?: string
}

/** The credentials file: one JSON object by server name, written atomically with mode 0600. */
export class McpCredentialStore {
  constructor(private readonly file: string) {}

  static in(dataDir: string): McpCredentialStore {
    return new McpCredentialStore(join(dataDir, 'mcp-auth.json'))
  }

  private readAll(): Record<string, McpCredentials> {
    if (!existsSync(this.file)) return {}
    try {
      const value = JSON.parse(readFileSync(this.file, 'utf8')) as unknown
      return value && typeof value === 'object' && !Array.isArray(value)
        ? (value as Record<string, McpCredentials>)
        : {}
    } catch {
      return {}
    }
  }

  get(name: string, serverUrl: string): McpCredentials {
    const entry = this.readAll()[name]
    return entry && entry.serverUrl === serverUrl ? entry : { serverUrl }
  }

  update(name: string, serverUrl: string, change: (entry: McpCredentials) => void): void {
    const all = this.readAll()
    const entry = all[name] && all[name].serverUrl === serverUrl ? all[name] : { serverUrl }
    change(entry)
    all[name] = entry
    const temporary = `${this.file}.${randomBytes(4).toString('hex')}.tmp`
    writeFileSync(temporary, JSON.stringify(all, null, 2), { mode: 0o600 })
    renameSync(temporary, this.file)
  }

  remove(name: string): boolean {
    const all = this.readAll()
    if (!(name in all)) return false
    delete all[name]
    const temporary = `${this.file}.${randomBytes(4).toString('hex')}.tmp`
    writeFileSync(temporary, JSON.stringify(all, null, 2), { mode: 0o600 })
    renameSync(temporary, this.file)
    return true
  }
}

/** The redirect URI a server's OAuth flow uses. */
export function redirectUri(config: McpRemoteConfig): string {
  const oauth = config.oauth || {}
  if (typeof oauth.redirectUri === 'string') return oauth.redirectUri
  const port = typeof oauth.callbackPort === 'number' ? oauth.callbackPort : DEFAULT_CALLBACK_PORT
  return `http://127.0.0.1:${port}${CALLBACK_PATH}`
}

/**
 * The SDK's `OAuthClientProvider` for one server. Instead of opening a browser it remembers the
 * authorization URL (`pendingAuthorization`), which the auth routes hand to the client.
 */
export class McpOAuthProvider implements OAuthClientProvider {
  pendingAuthorization?: URL

  constructor(
    private readonly name: string,
    private readonly config: McpRemoteConfig,
    private readonly store: McpCredentialStore,
  ) {}

  get redirectUrl(): string {
    return redirectUri(this.config)
  }

  get clientMetadata(): OAuthClientMetadata {
    const oauth = this.config.oauth || {}
    return {
      client_name: 'opencode-kernel',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: typeof oauth.clientSecret === 'string' ? 'client_secret_post' : 'none',
      ...(typeof oauth.scope === 'string' ? { scope: oauth.scope } : {}),
    }
  }

  private get entry(): McpCredentials {
    return this.store.get(this.name, this.config.url)
  }

  private save(change: (entry: McpCredentials) => void): void {
    this.store.update(this.name, this.config.url, change)
  }

  state(): string {
    const state = randomBytes(16).toString('hex')
    this.save((entry) => (entry.state = state))
    return state
  }

  /** The state of the flow started last (what `/auth` answers as `oauthState`). */
  currentState(): string | undefined {
    return this.entry.state
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    const oauth = this.config.oauth || {}
    if (typeof oauth.clientId === 'string')
      return {
        client_id: oauth.clientId,
        ...(typeof oauth.clientSecret === 'string' ? { client_secret: oauth.clientSecret } : {}),
      }
    return this.entry.clientInformation
  }

  saveClientInformation(information: OAuthClientInformationMixed): void {
    this.save((entry) => (entry.clientInformation = information))
  }

  tokens(): OAuthTokens | undefined {
    return this.entry.tokens
  }

  saveTokens(tokens: OAuthTokens): void {
    this.save((entry) => (entry.tokens = tokens))
  }

  redirectToAuthorization(url: URL): void {
    this.pendingAuthorization = url
  }

  saveCodeVerifier(verifier: string): void {
    this.save((entry) => (entry.codeVerifier = verifier))
  }

  codeVerifier(): string {
    const verifier = this.entry.codeVerifier
    if (!verifier) throw new Error('No OAuth flow was started for this server (no code verifier)')
    return verifier
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    this.save((entry) => {
      if (scope === 'all' || scope === 'client') delete entry.clientInformation
      if (scope === 'all' || scope === 'tokens') delete entry.tokens
      if (scope === 'all' || scope === 'verifier') delete entry.codeVerifier
    })
  }
}
