import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import { NamedError } from '../../kernel/errors.js'
import { InstanceQuery, ref } from '../../kernel/schemas.js'
import { McpAddInput, McpNameParams, McpResource, McpStatus } from './schemas.js'
import type { McpService } from './service.js'

const tags = ['mcp']
const querystring = Type.Object(InstanceQuery)
const StatusMap = Type.Record(Type.String(), ref(McpStatus))

class McpOAuthUnsupportedError extends NamedError {
  constructor(name: string) {
    super('McpUnsupportedOAuthError', 400, { message: `OAuth for MCP servers is not supported by this server yet; give ${name} an Authorization header in its config instead`, name })
  }
}

export function registerMcpRoutes(app: FastifyInstance, service: McpService): void {
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
        description: 'Connects it for this directory until the instance is disposed (the config file is not changed); answers every server\'s status.',
        querystring,
        body: McpAddInput,
        response: { 200: StatusMap },
      },
    },
    async (request) => {
      const { name, config } = request.body as Static<typeof McpAddInput>
      return service.add(request.instance, name, config)
    },
  )

  app.post(
    '/mcp/:name/connect',
    { schema: { operationId: 'mcp.connect', tags, summary: 'Connect (or reconnect) a server', querystring, params: McpNameParams, response: { 200: Type.Boolean() } } },
    async (request) => {
      await service.connect(request.instance, (request.params as Static<typeof McpNameParams>).name)
      return true
    },
  )

  app.post(
    '/mcp/:name/disconnect',
    { schema: { operationId: 'mcp.disconnect', tags, summary: 'Disconnect a server', description: 'Its status becomes `disabled` and its tools go away.', querystring, params: McpNameParams, response: { 200: Type.Boolean() } } },
    async (request) => {
      await service.disconnect(request.instance, (request.params as Static<typeof McpNameParams>).name)
      return true
    },
  )

  for (const [method, url, operationId] of [
    ['POST', '/mcp/:name/auth', 'mcp.auth.start'],
    ['POST', '/mcp/:name/auth/callback', 'mcp.auth.callback'],
    ['POST', '/mcp/:name/auth/authenticate', 'mcp.auth.authenticate'],
    ['DELETE', '/mcp/:name/auth', 'mcp.auth.remove'],
  ] as const) {
    app.route({
      method,
      url,
      schema: { operationId, tags, summary: 'OAuth for a remote MCP server (not supported yet)', description: 'Unknown server: 404; otherwise 400 McpUnsupportedOAuthError.', querystring, params: McpNameParams },
      handler: async (request) => {
        const { name } = request.params as Static<typeof McpNameParams>
        await service.server(request.instance, name)
        throw new McpOAuthUnsupportedError(name)
      },
    })
  }

  app.get(
    '/experimental/resource',
    { schema: { operationId: 'experimental.resource.list', tags: ['experimental'], summary: 'Resources of the connected MCP servers', querystring, response: { 200: Type.Record(Type.String(), ref(McpResource)) } } },
    async (request) => service.resources(request.instance),
  )
}
