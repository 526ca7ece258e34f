// An MCP server's tools as the kernel's tools: ids, permission, calls and their results.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { ToolAttachment, ToolDefinition, ToolResult } from '../../sdk/index.js'
import type { McpServer } from './connection.js'

/** One tool call may take this long (progress notifications extend it). */
const CALL_TIMEOUT_MS = 10 * 60_000
/** Tool output longer than this (characters) is cut for the model. */
const MAX_OUTPUT_CHARS = 100_000

/** Tool ids are `<server>_<tool>` with anything but letters, digits, `_` and `-` replaced. */
export function toolId(server: string, tool: string): string {
  const clean = (text: string) => text.replace(/[^a-zA-Z0-9_-]/g, '_')
  return `${clean(server)}_${clean(tool)}`
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

/** The tools `client` lists, each asking permission `<server>_<tool>` and calling it while `client` is the server's. */
export async function listTools(server: McpServer, client: Client, timeout: number): Promise<ToolDefinition[]> {
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
