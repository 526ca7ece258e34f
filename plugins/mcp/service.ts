import { createServer } from 'node:http'
import { isAbsolute, resolve } from 'node:path'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import {
  BadRequestError,
  type Instance,
  type Kernel,
  type ToolAttachment,
  type ToolDefinition,
  type ToolResult,
} from '../../sdk/index.js'
import { McpServerNotFoundError, McpUnsupportedOAuthError } from './errors.js'
import { McpBrowserOpenFailed, McpToolsChanged } from './events.js'
import type { McpConfig, McpRemoteConfig, McpResource, McpStatus } from './schemas.js'
import { McpCredentialStore, McpOAuthProvider, redirectUri } from './oauth.js'

/** Connecting and listing tools may take this long unless the server's config says otherwise. */
const DEFAULT_TIMEOUT_MS = 5000
/** One tool call may take this long (progress notifications extend it). */
const CALL_TIMEOUT_MS = 10 * 60_000
/** Tool output longer than this (characters) is cut for the model. */
const MAX_OUTPUT_CHARS = 100_000

type Sdk = {
  Client: typeof import('@modelcontextprotocol/sdk/client/index.js').Client
  StdioClientTransport: typeof import('@modelcontextprotocol/sdk/client/stdio.js').StdioClientTransport
  StreamableHTTPClientTransport: typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js').StreamableHTTPClientTransport
  SSEClientTransport: typeof import('@modelcontextprotocol/sdk/client/sse.js').SSEClientTransport
  ToolListChangedNotificationSchema: typeof import('@modelcontextprotocol/sdk/types.js').ToolListChangedNotificationSchema
  auth: typeof import('@modelcontextprotocol/sdk/client/auth.js').auth
  UnauthorizedError: typeof import('@modelcontextprotocol/sdk/client/auth.js').UnauthorizedError
}
let sdk: Promise<Sdk> | undefined
/** The MCP SDK, loaded when the first server connects. */
function loadSdk(): Promise<Sdk> {
  return (sdk ??= Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/stdio.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/client/sse.js'),
    import('@modelcontextprotocol/sdk/types.js'),
    import('@modelcontextprotocol/sdk/client/auth.js'),
  ]).then(([client, stdio, http, sse, types, auth]) => ({
    Client: client.Client,
    StdioClientTransport: stdio.StdioClientTransport,
    StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
    SSEClientTransport: sse.SSEClientTransport,
    ToolListChangedNotificationSchema: types.ToolListChangedNotificationSchema,
    auth: auth.auth,
    UnauthorizedError: auth.UnauthorizedError,
  })))
}

/** Tool ids are `<server>_<tool>` with anything but letters, digits, `_` and `-` replaced. */
export function toolId(server: string, tool: string): string {
  const clean = (text: string) => text.replace(/[^a-zA-Z0-9_-]/g, '_')
  return `${clean(server)}_${clean(tool)}`
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

interface McpServer {
  name: string
  /** Undefined when the config entry is invalid (`status` says why). */
  config?: McpConfig
  status: McpStatus
  client?: Client
  tools: ToolDefinition[]
  /** Bumped by every connect and disconnect, so a slow attempt that lost the race gives up. */
  generation: number
  /** The OAuth client of a remote server (unless its config says `oauth: false`). */
  oauth?: McpOAuthProvider
}

interface McpState {
  servers: Map<string, McpServer>
  /** The configured servers' first connection. */
  ready?: Promise<void>
}

type McpContent = {
  type: string
  text?: string
  data?: string
  mimeType?: string
  resource?: { uri?: string; text?: string; mimeType?: string }
}

/** What a tool call answered, as a tool result: text for the model, images as attachments. */
export function toToolResult(
  tool: string,
  result: { content?: unknown; isError?: boolean; structuredContent?: unknown },
): ToolResult {
  const texts: string[] = []
  const attachments: ToolAttachment[] = []
  for (const item of (Array.isArray(result.content) ? result.content : []) as McpContent[]) {
    if (item.type === 'text' && item.text !== undefined) texts.push(item.text)
    else if ((item.type === 'image' || item.type === 'audio') && item.data && item.mimeType)
      attachments.push({ mime: item.mimeType, url: `data:${item.mimeType};base64,${item.data}` })
    else if (item.type === 'resource' && item.resource)
      texts.push(item.resource.text ?? `[resource ${item.resource.uri ?? ''}]`)
    else if (item.type === 'resource_link') texts.push(`[resource ${(item as { uri?: string }).uri ?? ''}]`)
  }
  if (!texts.length && result.structuredContent !== undefined) texts.push(JSON.stringify(result.structuredContent))
  let output = texts.join('\n\n')
  if (result.isError) throw new Error(output || `The MCP tool ${tool} failed`)
  if (output.length > MAX_OUTPUT_CHARS)
    output = `${output.slice(0, MAX_OUTPUT_CHARS)}\n\n… (${output.length - MAX_OUTPUT_CHARS} more characters cut)`
  return { title: tool, output, metadata: {}, ...(attachments.length ? { attachments } : {}) }
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

  constructor(private readonly kernel: Kernel) {
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
      await this.open(instance, server, client, timeout)
      const tools = await this.listTools(server, client, timeout)
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
          server.tools = await this.listTools(server, client, timeout)
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

  /** Connects `client` over stdio (local) or Streamable HTTP, falling back to SSE (remote). */
  private async open(instance: Instance, server: McpServer, client: Client, timeout: number): Promise<void> {
    const { name } = server
    const config = server.config!
    const { StdioClientTransport, StreamableHTTPClientTransport, SSEClientTransport } = await loadSdk()
    if (config.type === 'local') {
      const [command, ...args] = config.command
      const cwd = config.cwd
        ? isAbsolute(config.cwd)
          ? config.cwd
          : resolve(instance.directory, config.cwd)
        : instance.directory
      const env = { ...this.kernel.env, ...config.environment } as Record<string, string>
      const transport = new StdioClientTransport({ command: command!, args, cwd, env, stderr: 'pipe' })
      // Read, or a chatty server blocks on a full pipe.
      transport.stderr?.on('data', (chunk: Buffer) =>
        this.kernel.log.debug({ server: name }, chunk.toString('utf8').slice(0, 2000)),
      )
      await client.connect(transport, { timeout })
      // The SDK spawns it without its own process group: only the server itself can be ended.
      const untrack = this.kernel.processes.track(
        { pid: transport.pid ?? undefined },
        { label: `mcp ${name}`, group: false, instance },
      )
      const onclose = transport.onclose
      transport.onclose = () => {
        untrack()
        onclose?.()
      }
      return
    }
    const url = new URL(config.url)
    const requestInit = config.headers ? { headers: config.headers } : undefined
    server.oauth =
      config.oauth === false ? undefined : (server.oauth ?? new McpOAuthProvider(name, config, this.credentials))
    const authProvider = server.oauth
    try {
      await client.connect(new StreamableHTTPClientTransport(url, { requestInit, authProvider }), { timeout })
    } catch (error) {
      const { UnauthorizedError } = await loadSdk()
      if (error instanceof UnauthorizedError) throw error
      // Servers that only speak the older HTTP+SSE transport.
      try {
        await client.connect(new SSEClientTransport(url, { requestInit, authProvider }), { timeout })
      } catch {
        throw error
      }
    }
  }

  private async listTools(server: McpServer, client: Client, timeout: number): Promise<ToolDefinition[]> {
    const { tools } = await client.listTools(undefined, { timeout })
    return tools.map((tool) => {
      const id = toolId(server.name, tool.name)
      const definition: ToolDefinition = {
        id,
        description: tool.description ?? '',
        parameters: { ...tool.inputSchema, type: 'object', properties: tool.inputSchema.properties ?? {} } as never,
        execute: async (args, context) => {
          await context.ask({
            permission: id,
            patterns: ['*'],
            always: ['*'],
            metadata: { server: server.name, tool: tool.name },
          })
          if (server.client !== client) throw new Error(`The MCP server ${server.name} is not connected`)
          const result = await client.callTool(
            { name: tool.name, arguments: args as Record<string, unknown> },
            undefined,
            {
              signal: context.abort,
              timeout: CALL_TIMEOUT_MS,
              resetTimeoutOnProgress: true,
            },
          )
          return toToolResult(tool.name, result as Parameters<typeof toToolResult>[1])
        },
      }
      return definition
    })
  }
}

/** How long `authenticate` waits for the browser. */
const AUTHENTICATE_TIMEOUT_MS = 5 * 60_000

/** Listens on the redirect URI's port, runs `started`, and resolves with the `code` the browser brings back. */
function receiveCode(redirect: URL, started: () => Promise<void>): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', redirect)
      if (url.pathname !== redirect.pathname) {
        response.writeHead(404).end()
        return
      }
      const code = url.searchParams.get('code')
      const error = url.searchParams.get('error')
      response.writeHead(code ? 200 : 400, { 'content-type': 'text/html; charset=utf-8' })
      response.end(code ? '<p>Authorized. You can close this window.</p>' : '<p>Authorization failed.</p>')
      finish(
        code ? undefined : new BadRequestError(`The authorization was refused: ${error ?? 'no code'}`),
        code ?? undefined,
      )
    })
    const timer = setTimeout(
      () => finish(new BadRequestError('No authorization came back within 5 minutes')),
      AUTHENTICATE_TIMEOUT_MS,
    )
    function finish(error?: Error, code?: string) {
      clearTimeout(timer)
      server.closeAllConnections()
      server.close()
      if (error || !code) reject(error ?? new Error('no code'))
      else resolvePromise(code)
    }
    server.once('error', (error) =>
      finish(new BadRequestError(`Cannot listen on ${redirect.host} for the OAuth callback: ${error.message}`)),
    )
    server.listen(Number(redirect.port || 80), redirect.hostname.replace(/^\[|\]$/g, ''), () => {
      started().catch((error: unknown) => finish(error as Error))
    })
  })
}
