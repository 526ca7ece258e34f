import type { TSchema } from 'typebox'
import { type ToolAttachment, type ToolContext, type ToolDefinition, type ToolResult } from '../../sdk/index.js'

/** A tool as `@opencode-ai/plugin`'s `tool()` describes it. */
export interface PluginToolDef {
  description?: string
  args?: Record<string, unknown>
  execute(args: unknown, context: unknown): unknown
}

const isZod4 = (value: unknown): boolean => typeof value === 'object' && value !== null && '_zod' in value

let zod: typeof import('zod') | undefined
/** zod, imported when the first plugin tool needs it (it is large, and most servers load none). */
async function loadZod(): Promise<typeof import('zod')> {
  return (zod ??= await import('zod'))
}

/**
 * The JSON Schema the model sees, as OpenCode builds it: zod 4 args through `toJSONSchema` (input
 * side), descriptions copied from each arg (they live in the author's zod copy); any other args
 * are taken as raw JSON Schema, all required.
 */
export async function argsSchema(args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const values = Object.values(args)
  if (values.every(isZod4)) {
    const { z } = await loadZod()
    const schema = z.toJSONSchema(z.object(args as Record<string, import('zod').ZodType>), {
      io: 'input',
      unrepresentable: 'any',
    }) as Record<string, unknown>
    const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>
    for (const [key, value] of Object.entries(args)) {
      const description = (value as { description?: string }).description
      if (description && properties[key] && !properties[key].description) properties[key].description = description
      for (const bound of ['exclusiveMinimum', 'exclusiveMaximum'])
        if (typeof properties[key]?.[bound] === 'boolean') delete properties[key]![bound]
    }
    if (schema.$defs) {
      schema.definitions = schema.$defs
      delete schema.$defs
    }
    delete schema.$schema
    return schema
  }
  const properties: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(args))
    if (typeof value === 'boolean' || (typeof value === 'object' && value !== null)) properties[key] = value
  return { type: 'object', properties, required: Object.keys(properties) }
}

function toResult(value: unknown): ToolResult {
  if (typeof value === 'string') return { title: '', output: value, metadata: {} }
  if (value && typeof value === 'object' && 'output' in value) {
    const result = value as { title?: unknown; output: unknown; metadata?: unknown; attachments?: unknown }
    const attachments = Array.isArray(result.attachments)
      ? result.attachments.flatMap((a): ToolAttachment[] =>
          a && typeof a.url === 'string'
            ? [
                {
                  mime: String(a.mime ?? 'application/octet-stream'),
                  url: a.url,
                  ...(typeof a.filename === 'string' ? { filename: a.filename } : {}),
                },
              ]
            : [],
        )
      : undefined
    return {
      title: typeof result.title === 'string' ? result.title : '',
      output: typeof result.output === 'string' ? result.output : JSON.stringify(result.output),
      metadata:
        result.metadata && typeof result.metadata === 'object' ? (result.metadata as Record<string, unknown>) : {},
      ...(attachments?.length ? { attachments } : {}),
    }
  }
  return { title: '', output: value === undefined ? '' : JSON.stringify(value), metadata: {} }
}

/** A plugin tool as a kernel tool: OpenCode's ToolContext in, either result form out. Args are not validated, as in OpenCode. */
export async function pluginTool(id: string, def: PluginToolDef): Promise<ToolDefinition> {
  return {
    id,
    description: def.description ?? '',
    parameters: (await argsSchema(def.args)) as unknown as TSchema,
    async execute(args: unknown, context: ToolContext): Promise<ToolResult> {
      const ctx = {
        sessionID: context.sessionID,
        messageID: context.messageID,
        callID: context.callID,
        agent: context.agent,
        directory: context.instance.directory,
        worktree: context.instance.worktree,
        abort: context.abort,
        metadata: (input: { title?: string; metadata?: Record<string, unknown> }) => context.metadata(input ?? {}),
        ask: (input: {
          permission: string
          patterns: string[]
          always?: string[]
          metadata?: Record<string, unknown>
        }) =>
          context.ask({
            permission: input.permission,
            patterns: input.patterns ?? [],
            ...(input.always ? { always: input.always } : {}),
            ...(input.metadata ? { metadata: input.metadata } : {}),
          }),
        extra: {},
        messages: [],
      }
      return toResult(await def.execute(args, ctx))
    },
  }
}
