import type { McpKernel } from './index.js'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { BadRequestError, type Instance, type ToolDefinition } from '../../sdk/index.js'
import { connectClient, loadSdk, type McpServer } from './connection.js'
import { configProblem, configured, normalizeConfig } from './config.js'
import { McpServerNotFoundError, McpUnsupportedOAuthError } from './errors.js'
import { McpBrowserOpenFailed, McpResourcesChanged, McpStatusChanged, McpToolsChanged } from './events.js'
import { receiveCode } from './oauth-callback.js'
import { resourceCatalog, resourceMap, type ResourceCatalog } from './resources.js'
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
    const normalized = normalizeConfig(config as unknown as Record<string, unknown>)
    const state = await this.ready(instance)
    const existing = state.servers.get(name)
    if (existing) await this.close(existing, instance)
    const server: McpServer = existing ?? { name, status: { status: 'disabled' }, tools: [], generation: 0 }
    server.config = normalized
    // Pending from the moment it is listed (`start` keeps it so).
    server.connecting = normalized.enabled !== false
    state.servers.set(name, server)
    if (normalized.enabled !== false) await this.start(instance, server)
    else this.statusChanged(instance, server, { status: 'disabled' })
    return this.statuses(instance)
  }

  /** Stops a server and forgets it until the instance's config is read again (a restart, a config change). */
  async remove(instance: Instance, name: string): Promise<void> {
    const server = await this.find(instance, name)
    this.state(instance).servers.delete(name)
    await this.close(server, instance)
    this.publish(instance, McpStatusChanged, name)
  }

  /** Every server with its status and whether a connection is under way, by name. */
  async servers(instance: Instance): Promise<{ name: string; status: McpStatus; connecting: boolean }[]> {
    const state = await this.ready(instance)
    return [...state.servers.values()]
      .map((server) => ({ name: server.name, status: server.status, connecting: server.connecting === true }))
      .sort((a, b) => a.name.localeCompare(b.name))
  }

  async connect(instance: Instance, name: string): Promise<void> {
    const server = await this.find(instance, name)
    if (server.config) await this.start(instance, server)
  }

  async disconnect(instance: Instance, name: string): Promise<void> {
    const server = await this.find(instance, name)
    await this.close(server, instance)
    this.statusChanged(instance, server, { status: 'disabled' })
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

  /** Resources of the connected servers that offer any, keyed `<server>:<uri>` (v1). */
  async resources(instance: Instance): Promise<Record<string, McpResource>> {
    return resourceMap(this.kernel, [...(await this.ready(instance)).servers.values()])
  }

  /** Resources and resource templates of the connected servers (OpenCode 2.1). */
  async resourceCatalog(instance: Instance): Promise<ResourceCatalog> {
    return resourceCatalog(this.kernel, [...(await this.ready(instance)).servers.values()])
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
    await this.close(server, instance)
    this.statusChanged(instance, server, { status: 'needs_auth' })
  }

  private publish(instance: Instance, event: typeof McpStatusChanged | typeof McpToolsChanged, name: string): void {
    if (!instance.isDisposed) this.kernel.publish(instance, event, { server: name })
  }

  /** Sets a server's status and says so (`mcp.status.changed`, and `mcp.tools.changed` for v1 clients). */
  private statusChanged(instance: Instance, server: McpServer, status: McpStatus): void {
    server.status = status
    this.publish(instance, McpStatusChanged, server.name)
    this.publish(instance, McpToolsChanged, server.name)
  }

  /** Ends a server's connection (a connection under way gives up); its resources go with it. */
  private async close(server: McpServer, instance?: Instance): Promise<void> {
    server.generation++
    server.connecting = false
    const client = server.client
    server.client = undefined
    server.tools = []
    if (client) await client.close().catch(() => {})
    if (client && instance && !instance.isDisposed)
      this.kernel.publish(instance, McpResourcesChanged, { server: server.name })
  }

  /** (Re)connects a server and lists its tools; the outcome is its status (`pending` meanwhile, for 2.1). */
  private async start(instance: Instance, server: McpServer): Promise<void> {
    await this.close(server, instance)
    server.connecting = true
    const generation = server.generation
    const config = server.config!
    const timeout = config.timeout ?? DEFAULT_TIMEOUT_MS
    const { Client, UnauthorizedError } = await loadSdk()
    const client = new Client({ name: 'opencode-kernel', version: this.kernel.version })
    this.publish(instance, McpStatusChanged, server.name)
    try {
      await connectClient({ kernel: this.kernel, credentials: this.credentials, instance, server, client, timeout })
      const tools = await listTools(server, client, timeout)
      if (generation !== server.generation) {
        await client.close().catch(() => {})
        return
      }
      server.connecting = false
      server.client = client
      server.tools = tools
      await this.attach(instance, server, client, timeout)
      this.statusChanged(instance, server, { status: 'connected' })
      if (client.getServerCapabilities()?.resources)
        this.kernel.publish(instance, McpResourcesChanged, { server: server.name })
    } catch (error) {
      await client.close().catch(() => {})
      if (generation !== server.generation) return
      server.connecting = false
      this.statusChanged(
        instance,
        server,
        error instanceof UnauthorizedError && server.oauth
          ? { status: 'needs_auth' }
          : { status: 'failed', error: errorMessage(error) },
      )
    }
  }

  /** Follows a connected server: tool list changes, and the connection ending on its side. */
  private async attach(instance: Instance, server: McpServer, client: Client, timeout: number): Promise<void> {
    const { ToolListChangedNotificationSchema } = await loadSdk()
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      if (server.client !== client) return
      try {
        server.tools = await listTools(server, client, timeout)
        this.publish(instance, McpToolsChanged, server.name)
      } catch (error) {
        this.kernel.log.warn({ err: error, server: server.name }, 'refreshing MCP tools failed')
      }
    })
    client.onclose = () => {
      if (server.client !== client) return
      server.client = undefined
      server.tools = []
      this.statusChanged(instance, server, { status: 'failed', error: 'The server closed the connection' })
      if (!instance.isDisposed) this.kernel.publish(instance, McpResourcesChanged, { server: server.name })
    }
  }
}
