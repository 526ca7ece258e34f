import { LocationQuery, TaggedError, ref, v2Errors, type PluginApp } from '../../../sdk/index.js'
import { McpServerNotFoundError } from '../errors.js'
import type { FastifyRequest } from 'fastify'
import { Type, type TSchema } from 'typebox'
import { McpServerNotFoundErrorBody, type McpStatus } from '../schemas.js'
import type { McpService } from '../service.js'

const tags = ['mcp']
const config = { v2: true, location: true }
const querystring = Type.Object(LocationQuery)
const closed = { additionalProperties: false } as const
const noContent = Type.Null()
const serverNotFound = v2Errors({ 404: ref(McpServerNotFoundErrorBody) })
const params = Type.Object({ server: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^/\\u0000]+$' }) })

/** 2.1's envelope: `{ location: { directory }, data }`. */
const Located = <T extends TSchema>(data: T) =>
  Type.Object({ location: Type.Object({ directory: Type.String() }, closed), data }, closed)
const located = <T>(request: FastifyRequest, data: T) => ({ location: { directory: request.instance.directory }, data })

const Status21 = Type.Union([
  Type.Object(
    { status: Type.Union([Type.Literal('connected'), Type.Literal('pending'), Type.Literal('disabled')]) },
    closed,
  ),
  Type.Object(
    { status: Type.Union([Type.Literal('failed'), Type.Literal('needs_auth')]), error: Type.String() },
    closed,
  ),
])
const Server21 = Type.Object({ name: Type.String(), status: Status21 }, closed)
const Described = { description: Type.Optional(Type.String()), mimeType: Type.Optional(Type.String()) }
const Catalog = Type.Object(
  {
    resources: Type.Array(
      Type.Object({ server: Type.String(), name: Type.String(), uri: Type.String(), ...Described }, closed),
    ),
    templates: Type.Array(
      Type.Object({ server: Type.String(), name: Type.String(), uriTemplate: Type.String(), ...Described }, closed),
    ),
  },
  closed,
)

// 2.1's server configs (1.x's `enabled` and millisecond `timeout` are read too). The union's
// branches stay open: Ajv would strip one branch's keys while trying the other.
const StringMap = Type.Record(Type.String(), Type.String())
const Timeout = Type.Union([
  Type.Integer({ minimum: 1 }),
  Type.Object(
    {
      startup: Type.Optional(Type.Integer({ minimum: 1 })),
      catalog: Type.Optional(Type.Integer({ minimum: 1 })),
      execution: Type.Optional(Type.Integer({ minimum: 1 })),
    },
    closed,
  ),
])
const Common = {
  disabled: Type.Optional(Type.Boolean()),
  enabled: Type.Optional(Type.Boolean()),
  codemode: Type.Optional(Type.Boolean()),
  timeout: Type.Optional(Timeout),
  protocol: Type.Optional(Type.Union([Type.Literal('legacy'), Type.Literal('auto'), Type.Literal('2026-07-28')])),
}
const ServerConfig = Type.Union([
  Type.Object({
    type: Type.Literal('local'),
    command: Type.Array(Type.String({ maxLength: 10_000 }), { minItems: 1, maxItems: 1000 }),
    cwd: Type.Optional(Type.String()),
    environment: Type.Optional(StringMap),
    ...Common,
  }),
  Type.Object({
    type: Type.Literal('remote'),
    url: Type.String({ pattern: '^https?://', maxLength: 10_000 }),
    headers: Type.Optional(StringMap),
    oauth: Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Literal(false)])),
    ...Common,
  }),
])

/** 2.1 names the server `server` in its 404 (v1's body says `name`). */
async function named21<T>(work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (error) {
    if (!(error instanceof McpServerNotFoundError)) throw error
    const server = String(error.data.name)
    throw new TaggedError('McpServerNotFoundError', 404, `MCP server not found: ${server}`, { server })
  }
}

/** A status as 2.1 shows it: `pending` while connecting; its `needs_auth` always says why. */
function status21(status: McpStatus, connecting: boolean) {
  if (connecting) return { status: 'pending' as const }
  switch (status.status) {
    case 'needs_auth':
      return { status: 'needs_auth' as const, error: 'The server needs an OAuth authorization' }
    case 'needs_client_registration':
      return { status: 'needs_auth' as const, error: status.error }
    default:
      return status
  }
}

/** `/api/mcp…` and `/api/experimental/mcp/…`: OpenCode 2.1's view of the same servers as v1 `/mcp`. */
export function registerMcpV21Routes(app: PluginApp, service: McpService): void {
  app.get(
    '/api/mcp',
    {
      config,
      schema: {
        operationId: 'mcp.list',
        tags,
        summary: 'List MCP servers',
        description:
          "The location's servers (configured and added at run time), by name, with their status; the configured ones connect on first use.",
        querystring,
        response: { 200: Located(Type.Array(Server21)), ...v2Errors() },
      },
    },
    async (request) => {
      const servers = await service.servers(request.instance)
      return located(
        request,
        servers.map(({ name, status, connecting }) => ({ name, status: status21(status, connecting) })),
      )
    },
  )

  app.get(
    '/api/mcp/resource',
    {
      config,
      schema: {
        operationId: 'mcp.resource.catalog',
        tags,
        summary: 'List MCP resources',
        description: 'Resources and resource templates of the connected servers.',
        querystring,
        response: { 200: Located(Catalog), ...v2Errors() },
      },
    },
    async (request) => located(request, await service.resourceCatalog(request.instance)),
  )

  registerServerRoutes(app, service)
}

function registerServerRoutes(app: PluginApp, service: McpService): void {
  app.put(
    '/api/experimental/mcp/:server',
    {
      config,
      schema: {
        operationId: 'experimental.mcp.add',
        tags,
        summary: 'Add MCP server',
        description:
          "Adds (or replaces) a server for this location until the instance is disposed (the config file is not changed) and answers 204 once a connection was tried: a failure lands in the server's status. An empty command or a URL that is not http(s) → 400. `codemode`, `protocol` and the catalog/execution timeouts have no effect here.",
        querystring,
        params,
        body: Type.Object({ config: ServerConfig }),
        response: { 204: noContent, ...v2Errors() },
      },
    },
    async (request, reply) => {
      await service.add(request.instance, request.params.server, request.body.config as never)
      return reply.status(204).send(null)
    },
  )

  const actions = [
    [
      'delete',
      '',
      'experimental.mcp.remove',
      'Remove MCP server',
      'Stops it and forgets it until the config is read again.',
    ],
    [
      'post',
      '/connect',
      'experimental.mcp.connect',
      'Connect MCP server',
      'Connects (or reconnects) it, a disabled one too.',
    ],
    ['post', '/disconnect', 'experimental.mcp.disconnect', 'Disconnect MCP server', 'Its status becomes `disabled`.'],
  ] as const
  for (const [method, suffix, operationId, summary, description] of actions) {
    app[method](
      `/api/experimental/mcp/:server${suffix}`,
      {
        config,
        schema: {
          operationId,
          tags,
          summary,
          description: `${description} Unknown → 404 \`McpServerNotFoundError\`.`,
          querystring,
          params,
          response: { 204: noContent, ...serverNotFound },
        },
      },
      async (request, reply) => {
        const { server } = request.params
        if (operationId === 'experimental.mcp.remove') await named21(service.remove(request.instance, server))
        else if (operationId === 'experimental.mcp.connect') await named21(service.connect(request.instance, server))
        else await named21(service.disconnect(request.instance, server))
        return reply.status(204).send(null)
      },
    )
  }
}
