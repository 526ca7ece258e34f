import { Type, type Static } from 'typebox'
import { named } from '../../sdk/index.js'

/** A local (stdio) server, as config `mcp.<name>` gives it. */
export interface McpLocalConfig {
  type: 'local'
  command: string[]
  cwd?: string
  environment?: Record<string, string>
  enabled?: boolean
  timeout?: number
}

/** A remote (Streamable HTTP or SSE) server. */
export interface McpRemoteConfig {
  type: 'remote'
  url: string
  enabled?: boolean
  headers?: Record<string, string>
  oauth?: Record<string, unknown> | false
  timeout?: number
}
export type McpConfig = McpLocalConfig | McpRemoteConfig

// The config plugin owns the config schemas (`McpLocalConfig`, `McpRemoteConfig`); routes refer
// to them by id (plugins never import each other's code).
const McpConfigRef = Type.Union([
  Type.Unsafe<McpLocalConfig>({ $ref: 'McpLocalConfig' }),
  Type.Unsafe<McpRemoteConfig>({ $ref: 'McpRemoteConfig' }),
])

export const McpStatus = named(
  'MCPStatus',
  Type.Union([
    Type.Object({ status: Type.Literal('connected') }),
    Type.Object({ status: Type.Literal('disabled') }),
    Type.Object({ status: Type.Literal('failed'), error: Type.String() }),
    Type.Object({ status: Type.Literal('needs_auth') }),
    Type.Object({ status: Type.Literal('needs_client_registration'), error: Type.String() }),
  ]),
)
export type McpStatus = Static<typeof McpStatus>

export const McpResource = named(
  'McpResource',
  Type.Object({
    name: Type.String(),
    uri: Type.String(),
    mimeType: Type.Optional(Type.String()),
    client: Type.String(),
  }),
)
export type McpResource = Static<typeof McpResource>

export const McpName = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^/\\u0000]+$' })
export const McpNameParams = Type.Object({ name: McpName })
export const McpAddInput = Type.Object({ name: McpName, config: McpConfigRef }, { additionalProperties: false })

export const McpServerNotFoundErrorBody = named(
  'McpServerNotFoundError',
  Type.Object(
    { _tag: Type.Literal('McpServerNotFoundError'), server: Type.String(), message: Type.String() },
    { additionalProperties: false },
  ),
)
