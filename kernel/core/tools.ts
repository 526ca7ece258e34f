import type { Static, TSchema } from 'typebox'
import { Value } from 'typebox/value'
import type { Instance } from '../instances/instance.js'

/** What a tool asks before it acts: a permission name and the patterns it touches. */
export interface PermissionAsk {
  /** `bash`, `edit`, `read`, `external_directory` ... */
  permission: string
  /** What this call touches (a command, paths); each is matched against the rules. */
  patterns: string[]
  /** Patterns remembered when the user answers "always" (default: `patterns`). */
  always?: string[]
  metadata?: Record<string, unknown>
}

/** A file a tool hands back to the model with its output (an image it read, ...). */
export interface ToolAttachment {
  mime: string
  url: string
  filename?: string
}

export interface ToolResult {
  /** A short line for the UI (`src/a.ts`, `npm test`). */
  title: string
  /** What the model sees. */
  output: string
  metadata?: Record<string, unknown>
  attachments?: ToolAttachment[]
}

/** What a running tool gets from the session that called it. */
export interface ToolContext {
  instance: Instance
  sessionID: string
  messageID: string
  callID: string
  agent: string
  /** The model the session's turn runs with (a subagent inherits it). */
  model?: { providerID: string; modelID: string }
  /** Aborted when the prompt is aborted or the session deleted; kill child processes on it. */
  abort: AbortSignal
  /** Updates the running tool part's title and metadata (streamed to clients as it runs). */
  metadata(update: { title?: string; metadata?: Record<string, unknown> }): void
  /** Resolves when the rules (or the user) allow it; throws a named error when denied or rejected. */
  ask(request: PermissionAsk): Promise<void>
}

export interface ToolDefinition<P extends TSchema = TSchema> {
  /** Unique, the name the model calls (`read`, `bash`, `mcp_server_tool`). */
  id: string
  description: string
  /** TypeBox schema of the arguments; also the JSON schema the model sees. */
  parameters: P
  execute(args: Static<P>, context: ToolContext): Promise<ToolResult>
}

/** Declares a tool; register it with `kernel.tools.register(pluginName, tool)`. */
export function defineTool<P extends TSchema>(definition: ToolDefinition<P>): ToolDefinition<P> {
  return definition
}

/** Arguments the model sent that do not match the tool's parameters. */
export class ToolArgumentsError extends Error {
  constructor(tool: string, problems: string[]) {
    super(
      `The ${tool} tool was called with invalid arguments: ${problems.join('; ')}. Please rewrite the input so it satisfies the expected schema.`,
    )
    this.name = 'ToolArgumentsError'
  }
}

/** Tools per instance that come and go (MCP servers): asked for on every listing. */
export type ToolSource = (instance: Instance) => Promise<ToolDefinition[]> | ToolDefinition[]

/**
 * The kernel's tool registry: plugins register tools under their name (so a reloaded plugin's
 * tools can be withdrawn); the session plugin lists them for the model and runs them.
 */
export class ToolRegistry {
  private readonly tools = new Map<string, { owner: string; tool: ToolDefinition }>()
  private readonly sources = new Map<string, ToolSource>()

  register(owner: string, ...tools: ToolDefinition[]): void {
    for (const tool of tools) {
      const existing = this.tools.get(tool.id)
      if (existing && existing.owner !== owner)
        throw new Error(`tool "${tool.id}" from plugin "${owner}" is already registered by plugin "${existing.owner}"`)
      this.tools.set(tool.id, { owner, tool })
    }
  }

  /** Adds per-instance tools (e.g. an MCP server's) under `owner`. */
  addSource(owner: string, source: ToolSource): void {
    this.sources.set(owner, source)
  }

  /** Removes everything `owner` registered (before it is reloaded). */
  withdraw(owner: string): void {
    for (const [id, entry] of this.tools) if (entry.owner === owner) this.tools.delete(id)
    this.sources.delete(owner)
  }

  /** The statically registered tools. */
  builtins(): ToolDefinition[] {
    return [...this.tools.values()].map((entry) => entry.tool)
  }

  /** Every tool available in `instance`: registered ones, then each source's. */
  async list(instance: Instance): Promise<ToolDefinition[]> {
    const out = this.builtins()
    const seen = new Set(out.map((tool) => tool.id))
    for (const source of this.sources.values()) {
      for (const tool of await source(instance)) {
        if (seen.has(tool.id)) continue
        seen.add(tool.id)
        out.push(tool)
      }
    }
    return out
  }

  get(id: string): ToolDefinition | undefined {
    return this.tools.get(id)?.tool
  }

  /** Everything registered, to put back with `restore` (a dev-mode reload that failed). */
  snapshot(): () => void {
    const tools = new Map(this.tools)
    const sources = new Map(this.sources)
    return () => {
      this.tools.clear()
      this.sources.clear()
      for (const [id, entry] of tools) this.tools.set(id, entry)
      for (const [owner, source] of sources) this.sources.set(owner, source)
    }
  }

  /** Forgets every tool and source (the plugins are about to register again). */
  clear(): void {
    this.tools.clear()
    this.sources.clear()
  }
}

/** Checks `args` against the tool's parameters; throws ToolArgumentsError listing each problem. */
export function checkToolArguments(tool: ToolDefinition, args: unknown): void {
  if (Value.Check(tool.parameters, args)) return
  const problems = [...Value.Errors(tool.parameters, args)]
    .slice(0, 5)
    .map((error) => `${error.instancePath || '(root)'} ${error.message}`)
  throw new ToolArgumentsError(tool.id, problems)
}
