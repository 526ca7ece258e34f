import { Type } from 'typebox'
import { defineEvent } from '../../sdk/index.js'

/** A server's tool list changed (it said so, or it connected or went away). */
export const McpToolsChanged = defineEvent('mcp.tools.changed', { server: Type.String() })
/** A browser should open `url` to authorize the server (this server never opens one itself). */
export const McpBrowserOpenFailed = defineEvent('mcp.browser.open.failed', {
  mcpName: Type.String(),
  url: Type.String(),
})
/** A server's status changed: connecting, connected, failed, disconnected, removed (OpenCode 2.1). */
export const McpStatusChanged = defineEvent('mcp.status.changed', { server: Type.String() })
/** A server's resources may have changed: it connected or went away (OpenCode 2.1). */
export const McpResourcesChanged = defineEvent('mcp.resources.changed', { server: Type.String() })
