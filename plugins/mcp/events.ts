import { Type } from 'typebox'
import { defineEvent } from '../../sdk/index.js'

/** A server's tool list changed (it said so, or it connected or went away). */
export const McpToolsChanged = defineEvent('mcp.tools.changed', { server: Type.String() })
/** A browser should open `url` to authorize the server (this server never opens one itself). */
export const McpBrowserOpenFailed = defineEvent('mcp.browser.open.failed', {
  mcpName: Type.String(),
  url: Type.String(),
})
