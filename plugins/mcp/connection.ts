// Connecting to one MCP server: the SDK (loaded with the first server), the per-server record,
// and the transports (stdio for local servers; Streamable HTTP, else SSE, for remote ones).
import type { McpKernel } from './index.js'
import { isAbsolute, resolve } from 'node:path'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { Instance, ToolDefinition } from '../../sdk/index.js'
import { McpOAuthProvider, type McpCredentialStore } from './oauth.js'
import type { McpConfig, McpLocalConfig, McpRemoteConfig, McpStatus } from './schemas.js'

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
export function loadSdk(): Promise<Sdk> {
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

export interface McpServer {
  name: string
  /** Undefined when the config entry is invalid (`status` says why). */
  config?: McpConfig
  status: McpStatus
  client?: Client
  tools: ToolDefinition[]
  /** A connection is under way (OpenCode 2.1 shows the server as `pending`). */
  connecting?: boolean
  /** Bumped by every connect and disconnect, so a slow attempt that lost the race gives up. */
  generation: number
  /** The OAuth client of a remote server (unless its config says `oauth: false`). */
  oauth?: McpOAuthProvider
}

export interface ConnectOptions {
  kernel: McpKernel
  credentials: McpCredentialStore
  instance: Instance
  server: McpServer
  client: Client
  /** For the connection, in milliseconds. */
  timeout: number
}

/** Connects `client` over stdio (local) or Streamable HTTP, falling back to SSE (remote). */
export async function connectClient(options: ConnectOptions): Promise<void> {
  const config = options.server.config!
  if (config.type === 'local') await connectLocal(options, config)
  else await connectRemote(options, config)
}

async function connectLocal(options: ConnectOptions, config: McpLocalConfig): Promise<void> {
  const { kernel, instance, client, timeout } = options
  const { name } = options.server
  const { StdioClientTransport } = await loadSdk()
  const [command, ...args] = config.command
  const cwd = config.cwd
    ? isAbsolute(config.cwd)
      ? config.cwd
      : resolve(instance.directory, config.cwd)
    : instance.directory
  const env = { ...kernel.env, ...config.environment } as Record<string, string>
  const transport = new StdioClientTransport({ command: command!, args, cwd, env, stderr: 'pipe' })
  // Read, or a chatty server blocks on a full pipe.
  transport.stderr?.on('data', (chunk: Buffer) =>
    kernel.log.debug({ server: name }, chunk.toString('utf8').slice(0, 2000)),
  )
  await client.connect(transport, { timeout })
  // The SDK spawns it without its own process group: only the server itself can be ended.
  const untrack = kernel.processes.track(
    { pid: transport.pid ?? undefined },
    { label: `mcp ${name}`, group: false, instance },
  )
  const onclose = transport.onclose
  transport.onclose = () => {
    untrack()
    onclose?.()
  }
}

async function connectRemote(options: ConnectOptions, config: McpRemoteConfig): Promise<void> {
  const { server, client, timeout } = options
  const { name } = server
  const { StreamableHTTPClientTransport, SSEClientTransport } = await loadSdk()
  const url = new URL(config.url)
  const requestInit = config.headers ? { headers: config.headers } : undefined
  server.oauth =
    config.oauth === false ? undefined : (server.oauth ?? new McpOAuthProvider(name, config, options.credentials))
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
