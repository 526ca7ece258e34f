import { NamedError } from '../../sdk/index.js'

export class McpServerNotFoundError extends NamedError {
  constructor(name: string) {
    super('McpServerNotFoundError', 404, { message: `MCP server not found: ${name}`, name })
  }
}

/** OAuth asked of a server that has none: a local one, or a remote one with `oauth: false`. */
export class McpUnsupportedOAuthError extends NamedError {
  constructor(name: string) {
    super('McpUnsupportedOAuthError', 400, {
      message: `MCP server ${name} does not use OAuth (only remote servers without "oauth": false do)`,
      name,
    })
  }
}
