import type { McpKernel } from './index.js'
import { BadRequestError, type Instance, type ToolDefinition } from '../../sdk/index.js'
import { connectClient, loadSdk, type McpServer } from './connection.js'
import { McpServerNotFoundError, McpUnsupportedOAuthError } from './errors.js'
import { McpBrowserOpenFailed, McpToolsChanged } from './events.js'
import { receiveCode } from './oauth-callback.js'
import type { McpConfig, McpRemoteConfig, McpResource, McpStatus } from './schemas.js'
import { McpCredentialStore, McpOAuthProvider, redirectUri } from './oauth.js'
import { listTools } from './tools.js'

/** Connecting and listing tools may take this long unless the server's config says otherwise. */
const DEFAULT_TIMEOUT_MS = 5000

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

interface McpState {
  servers: Map<string, McpServer>
  /** The configured servers' first connection. */
  ready?: Promise<void>
}

/** Why `entry` is not a server config, or undefined when it is one. */
export function configProblem(entry: unknown): string | undefined {
  const value = entry as { type?: unknown; command?: unknown; url?: unknown } | null
  if (!value || typeof value !== 'object') return 'expected an object'
  if (value.type === 'local') {
    const command = value.command as unknown
    return Array.isArray(command) && command.length > 0 && command.every((part) => typeof part === 'string')
      ? undefined
      : 'command must be a non-empty list of strings'
  }
  if (value.type === 'remote')
    return typeof value.url === 'string' && /^https?:\/\//.test(value.url) ? undefined : 'url must be an http(s) URL'
  return 'type must be "local" or "remote"'
}

/** The `mcp` config section as servers, each valid config or the reason it is not. */
function configured(section: unknown): { name: string; config?: McpConfig; status?: McpStatus }[] {
  if (!section || typeof section !== 'object' || Array.isArray(section)) return []
  return Object.entries(section as Record<string, unknown>).map(([name, entry]) => {
    const problem = configProblem(entry)
    if (!problem) return { name, config: entry as McpConfig }
    if (entry && typeof entry === 'object' && (entry as { enabled?: unknown }).enabled === false)
      return { name, status: { status: 'disabled' } }
    return { name, status: { status: 'failed', error: `Invalid MCP config: ${problem}` } }
  })
}

/**
 * MCP clients per instance: the config's servers (and ones added at run time) connected on first
 * use, their tools offered to the model as `<server>_<tool>`, closed with the instance.
 */
export class McpService {
  private readonly credentials: McpCredentialStore

  constructor(private readonly kernel: McpKernel) {
    this.credentials = McpCredentialStore.in(kernel.paths.data)
  }

  private state(instance: Instance): McpState {
    return instance.state<McpState>(
      'mcp',
      () => ({ servers: new Map() }),
      async (state) => {
        await Promise.all([...state.servers.values()].map((server) => this.close(server)))
      },
    )
  }

  /** The servers, the configured ones connected once (in parallel, each within its timeout). */
  private async ready(instance: Instance): Promise<McpState> {
    const state = this.state(instance)
    state.ready ??= (async () => {
      for (const { name, config, status } of configured(this.kernel.config(instance).mcp)) {
        if (state.servers.has(name)) continue
        const server: McpServer = { name, config, status: status ?? { status: 'disabled' }, tools: [], generation: 0 }
        state.servers.set(name, server)
      }
      await Promise.all(
        [...state.servers.values()].map((server) =>
          server.config && server.config.enabled !== false ? this.start(instance, server) : undefined,
        ),
      )
    })()
    await state.ready
    return state
  }

  async statuses(instance: Instance): Promise<Record<string, McpStatus>> {
    const state = await this.ready(instance)
    return Object.fromEntries([...state.servers].map(([name, server]) => [name, server.status]))
  }

  /** Adds (or replaces) a server for this instance's lifetime and connects it. */
  async add(instance: Instance, name: string, config: McpConfig): Promise<Record<string, McpStatus>> {
    const problem = configProblem(config)
    if (problem) throw new BadRequestError(`Invalid MCP config: ${problem}`, 'Body')
    const state = await this.ready(instance)
    const existing = state.servers.get(name)
    if (existing) await this.close(existing)
    const server: McpServer = existing ?? { name, status: { status: 'disabled' }, tools: [], generation: 0 }
    server.config = config
    state.servers.set(name, server)
    if (config.enabled !== false) await this.start(instance, server)
    return this.statuses(instance)
  }

  async connect(instance: Instance, name: string): Promise<void> {
    const server = await this.find(instance, name)
    if (server.config) await this.start(instance, server)
  }

  async disconnect(instance: Instance, name: string): Promise<void> {
    const server = await this.find(instance, name)
    await this.close(server)
    server.status = { status: 'disabled' }
    this.kernel.publish(instance, McpToolsChanged, { server: name })
  }

  /** The server; McpServerNotFoundError when this instance has none of that name. */
  async server(instance: Instance, name: string): Promise<{ name: string; status: McpStatus }> {
    return this.find(instance, name)
  }

  private async find(instance: Instance, name: string): Promise<McpServer> {
    const server = (await this.ready(instance)).servers.get(name)
    if (!server) throw new McpServerNotFoundError(name)
    return server
  }

  /** The tools of every connected server. */
  async tools(instance: Instance): Promise<ToolDefinition[]> {
    const state = await this.ready(instance)
    return [...state.servers.values()].flatMap((server) => (server.client ? server.tools : []))
  }

  /** Resources of the connected servers that offer any, keyed `<server>:<uri>`. */
  async resources(instance: Instance): Promise<Record<string, McpResource>> {
    const state = await this.ready(instance)
    const out: Record<string, McpResource> = {}
    await Promise.all(
      [...state.servers.values()].map(async (server) => {
        const client = server.client
        if (!client?.getServerCapabilities()?.resources) return
        try {
          const { resources } = await client.listResources(undefined, {
            timeout: server.config?.timeout ?? DEFAULT_TIMEOUT_MS,
          })
          for (const resource of resources) {
            out[`${server.name}:${resource.uri}`] = {
              name: resource.name,
              uri: resource.uri,
              client: server.name,
              ...(resource.mimeType ? { mimeType: resource.mimeType } : {}),
            }
          }
        } catch (error) {
          this.kernel.log.warn({ err: error, server: server.name }, 'listing MCP resources failed')
        }
      }),
    )
    return out
  }

  /** The remote server's OAuth client; McpUnsupportedOAuthError for local ones and `oauth: false`. */
  private async oauthOf(
    instance: Instance,
    name: string,
  ): Promise<{ server: McpServer; config: McpRemoteConfig; provider: McpOAuthProvider }> {
    const server = await this.find(instance, name)
    const config = server.config
    if (config?.type !== 'remote' || config.oauth === false) throw new McpUnsupportedOAuthError(name)
    server.oauth ??= new McpOAuthProvider(name, config, this.credentials)
    return { server, config, provider: server.oauth }
  }

  /** Starts an authorization: the URL to open in a browser, and the flow's `state`. */
  async startAuth(instance: Instance, name: string): Promise<{ authorizationUrl: string; oauthState: string }> {
    const { config, provider } = await this.oauthOf(instance, name)
    const { auth } = await loadSdk()
    // Asked for explicitly: authorize anew even when tokens are stored.
    provider.invalidateCredentials('tokens')
    provider.pendingAuthorization = undefined
    try {
      await auth(provider, { serverUrl: config.url })
    } catch (error) {
      throw new BadRequestError(`OAuth for ${name} failed: ${errorMessage(error)}`)
    }
    const url = provider.pendingAuthorization as URL | undefined
    if (!url) throw new BadRequestError(`The authorization server of ${name} did not ask for a browser authorization`)
    return { authorizationUrl: url.href, oauthState: provider.currentState() ?? url.searchParams.get('state') ?? '' }
  }

  /** Exchanges the code the browser came back with for tokens, then connects. */
  async finishAuth(instance: Instance, name: string, code: string): Promise<McpStatus> {
    const { server, config, provider } = await this.oauthOf(instance, name)
    const { auth } = await loadSdk()
    try {
      await auth(provider, { serverUrl: config.url, authorizationCode: code })
    } catch (error) {
      throw new BadRequestError(`OAuth for ${name} failed: ${errorMessage(error)}`)
    }
    await this.start(instance, server)
    return server.status
  }

  /**
   * Starts an authorization and waits (up to 5 minutes) for the browser to come back to the
   * redirect URI on this machine. No browser is opened here: `mcp.browser.open.failed` carries
   * the URL for a client to open.
   */
  async authenticate(instance: Instance, name: string): Promise<McpStatus> {
    const { config } = await this.oauthOf(instance, name)
    const redirect = new URL(redirectUri(config))
    if (redirect.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(redirect.hostname)) {
      throw new BadRequestError(
        `Cannot wait for ${redirect.href}: only a loopback http redirect URI can be received here; use /auth and /auth/callback`,
      )
    }
    const code = await receiveCode(redirect, async () => {
      const { authorizationUrl } = await this.startAuth(instance, name)
      this.kernel.publish(instance, McpBrowserOpenFailed, { mcpName: name, url: authorizationUrl })
    })
    return this.finishAuth(instance, name, code)
  }

  /** Forgets the server's OAuth credentials and disconnects it. */
  async removeAuth(instance: Instance, name: string): Promise<void> {
    const { server } = await this.oauthOf(instance, name)
    this.credentials.remove(name)
    await this.close(server)
    server.status = { status: 'needs_auth' }
    this.kernel.publish(instance, McpToolsChanged, { server: name })
  }

  private async close(server: McpServer): Promise<void> {
    server.generation++
    const client = server.client
    server.client = undefined
    server.tools = []
    if (client) await client.close().catch(() => {})
  }

  /** (Re)connects a server and lists its tools; the outcome is its status. */
  private async start(instance: Instance, server: McpServer): Promise<void> {
    await this.close(server)
    const generation = server.generation
    const config = server.config!
    const timeout = config.timeout ?? DEFAULT_TIMEOUT_MS
    const { Client, ToolListChangedNotificationSchema } = await loadSdk()
    const client = new Client({ name: 'opencode-kernel', version: this.kernel.version })
    try {
      await connectClient({ kernel: this.kernel, credentials: this.credentials, instance, server, client, timeout })
      const tools = await listTools(server, client, timeout)
      if (generation !== server.generation) {
        await client.close().catch(() => {})
        return
      }
      server.client = client
      server.tools = tools
      server.status = { status: 'connected' }
      client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
        if (server.client !== client) return
        try {
          server.tools = await listTools(server, client, timeout)
          this.kernel.publish(instance, McpToolsChanged, { server: server.name })
        } catch (error) {
          this.kernel.log.warn({ err: error, server: server.name }, 'refreshing MCP tools failed')
        }
      })
      client.onclose = () => {
        if (server.client !== client) return
        server.client = undefined
        server.tools = []
        server.status = { status: 'failed', error: 'The server closed the connection' }
        if (!instance.isDisposed) this.kernel.publish(instance, McpToolsChanged, { server: server.name })
      }
      this.kernel.publish(instance, McpToolsChanged, { server: server.name })
    } catch (error) {
      await client.close().catch(() => {})
      if (generation !== server.generation) return
      const { UnauthorizedError } = await loadSdk()
      server.status =
        error instanceof UnauthorizedError && server.oauth
          ? { status: 'needs_auth' }
          : { status: 'failed', error: errorMessage(error) }
    }
  }
}
