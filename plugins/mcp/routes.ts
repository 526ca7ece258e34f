import { Type } from 'typebox'
import { InstanceQuery, ref, type PluginApp } from '../../sdk/index.js'
import { McpAddInput, McpNameParams, McpResource, McpStatus } from './schemas.js'
import type { McpService } from './service.js'

const tags = ['mcp']
const querystring = Type.Object(InstanceQuery)
const StatusMap = Type.Record(Type.String(), ref(McpStatus))

export function registerMcpRoutes(app: PluginApp, service: McpService): void {
  registerServerRoutes(app, service)
  registerAuthRoutes(app, service)
  registerResourceRoutes(app, service)
}

/** Status, adding, connecting and disconnecting servers. */
function registerServerRoutes(app: PluginApp, service: McpService): void {
  app.get(
    '/mcp',
    {
      schema: {
        operationId: 'mcp.status',
        tags,
        summary: 'Status of every MCP server',
        description: 'Connects the configured servers on first use (each within its `timeout`, default 5 s).',
        querystring,
        response: { 200: StatusMap },
      },
    },
    async (request) => service.statuses(request.instance),
  )

  app.post(
    '/mcp',
    {
      schema: {
        operationId: 'mcp.add',
        tags,
        summary: 'Add an MCP server',
        description:
          "Connects it for this directory until the instance is disposed (the config file is not changed); answers every server's status.",
        querystring,
        body: McpAddInput,
        response: { 200: StatusMap },
      },
    },
    async (request) => {
      const { name, config } = request.body
      return service.add(request.instance, name, config)
    },
  )

  app.post(
    '/mcp/:name/connect',
    {
      schema: {
        operationId: 'mcp.connect',
        tags,
        summary: 'Connect (or reconnect) a server',
        querystring,
        params: McpNameParams,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      await service.connect(request.instance, request.params.name)
      return true
    },
  )

  app.post(
    '/mcp/:name/disconnect',
    {
      schema: {
        operationId: 'mcp.disconnect',
        tags,
        summary: 'Disconnect a server',
        description: 'Its status becomes `disabled` and its tools go away.',
        querystring,
        params: McpNameParams,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      await service.disconnect(request.instance, request.params.name)
      return true
    },
  )
}

/** OAuth for remote servers: start, callback, the whole flow in one call, forgetting credentials. */
function registerAuthRoutes(app: PluginApp, service: McpService): void {
  app.post(
    '/mcp/:name/auth',
    {
      schema: {
        operationId: 'mcp.auth.start',
        tags,
        summary: 'Start OAuth for a remote server',
        description:
          'Discovers its authorization server, registers a client when needed, and answers the URL to open in a browser (PKCE). Local servers and `oauth: false`: 400 McpUnsupportedOAuthError.',
        querystring,
        params: McpNameParams,
        response: { 200: Type.Object({ authorizationUrl: Type.String(), oauthState: Type.String() }) },
      },
    },
    async (request) => service.startAuth(request.instance, request.params.name),
  )

  app.post(
    '/mcp/:name/auth/callback',
    {
      schema: {
        operationId: 'mcp.auth.callback',
        tags,
        summary: 'Finish OAuth with the code the browser came back with',
        description:
          'Exchanges the code for tokens (kept in the data dir, mode 0600), connects, and answers the status.',
        querystring,
        params: McpNameParams,
        body: Type.Object({ code: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
        response: { 200: ref(McpStatus) },
      },
    },
    async (request) => service.finishAuth(request.instance, request.params.name, request.body.code),
  )

  app.post(
    '/mcp/:name/auth/authenticate',
    {
      schema: {
        operationId: 'mcp.auth.authenticate',
        tags,
        summary: 'Run OAuth and wait for the browser',
        description:
          'Starts the flow, publishes `mcp.browser.open.failed {mcpName, url}` (this server opens no browser), waits up to 5 minutes for the redirect on the loopback callback port (default 19876), then connects and answers the status.',
        querystring,
        params: McpNameParams,
        response: { 200: ref(McpStatus) },
      },
    },
    async (request) => service.authenticate(request.instance, request.params.name),
  )

  app.delete(
    '/mcp/:name/auth',
    {
      schema: {
        operationId: 'mcp.auth.remove',
        tags,
        summary: 'Forget the OAuth credentials of a server',
        description: 'Its status becomes `needs_auth`.',
        querystring,
        params: McpNameParams,
        response: { 200: Type.Object({ success: Type.Literal(true) }) },
      },
    },
    async (request) => {
      await service.removeAuth(request.instance, request.params.name)
      return { success: true as const }
    },
  )
}

function registerResourceRoutes(app: PluginApp, service: McpService): void {
  app.get(
    '/experimental/resource',
    {
      schema: {
        operationId: 'experimental.resource.list',
        tags: ['experimental'],
        summary: 'Resources of the connected MCP servers',
        querystring,
        response: { 200: Type.Record(Type.String(), ref(McpResource)) },
      },
    },
    async (request) => service.resources(request.instance),
  )
}
