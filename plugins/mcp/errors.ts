import { NamedError } from '../../kernel/errors.js'

export class McpServerNotFoundError extends NamedError {
  constructor(name: string) {
    super('McpServerNotFoundError', 404, { message: `MCP server not found: ${name}`, name })
  }
}
