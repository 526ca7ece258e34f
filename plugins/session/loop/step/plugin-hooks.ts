// Where the agent loop fires OpenCode plugin hooks (`PluginHooks`): one call per moment, so the
// loop itself only names the moment. Without a hook runner each call returns its input unchanged.
import type { SessionKernel } from '../../index.js'
import type { ModelMessage } from 'ai'
import { type Instance, type ToolDefinition } from '../../../../sdk/index.js'
import { hasHook, triggerHook } from '../../../../sdk/hooks.js'
import type { AgentInfo } from '../../../agent/types.js'
import type { ModelInfo } from '../../../provider/types.js'
import { COMPACTION_QUESTION } from '../compaction.js'
import type { MessageWithParts, UserMessage } from '../../schemas.js'

/** The sampling settings and provider options of one model call, after `chat.params` and `chat.headers`. */
export interface CallSettings {
  temperature?: number
  topP?: number
  topK?: number
  maxOutputTokens?: number
  providerOptions?: Record<string, Record<string, never>>
  headers?: Record<string, string>
}

/** `chat.params` then `chat.headers`, before a model call: their outputs go to the call. */
export async function chatCallSettings(
  kernel: SessionKernel,
  instance: Instance,
  input: { sessionID: string; agent: AgentInfo; model: ModelInfo; message: UserMessage },
  base: { temperature?: number; topP?: number; providerOptions?: Record<string, Record<string, never>> },
): Promise<CallSettings> {
  const providerID = input.model.providerID
  const hookInput = {
    sessionID: input.sessionID,
    agent: input.agent.name,
    model: input.model,
    provider: { source: 'config', info: { id: providerID }, options: {} },
    message: input.message,
  }
  const params = await triggerHook(kernel, instance, 'chat.params', hookInput, {
    temperature: base.temperature,
    topP: base.topP,
    topK: undefined as number | undefined,
    maxOutputTokens: undefined as number | undefined,
    options: { ...(base.providerOptions?.[providerID] ?? {}) } as Record<string, unknown>,
  })
  const { headers } = await triggerHook(kernel, instance, 'chat.headers', hookInput, {
    headers: {} as Record<string, string>,
  })
  const options = params.options && typeof params.options === 'object' ? params.options : {}
  return {
    temperature: params.temperature,
    topP: params.topP,
    topK: params.topK,
    maxOutputTokens: params.maxOutputTokens,
    providerOptions: Object.keys(options).length ? { [providerID]: options as Record<string, never> } : undefined,
    headers: headers && typeof headers === 'object' && Object.keys(headers).length ? headers : undefined,
  }
}

/** `experimental.chat.system.transform`: edits the system prompt entries in place. */
export async function transformSystem(
  kernel: SessionKernel,
  instance: Instance,
  sessionID: string,
  model: ModelInfo,
  system: string[],
): Promise<string[]> {
  const output = await triggerHook(
    kernel,
    instance,
    'experimental.chat.system.transform',
    { sessionID, model },
    { system },
  )
  return Array.isArray(output.system)
    ? output.system.filter((entry): entry is string => typeof entry === 'string')
    : system
}

/**
 * `experimental.chat.messages.transform`: edits what the model is sent (never what is stored).
 * The hooks get a copy: `messages` may be the store's cached history, which must not change.
 */
export async function transformMessages(
  kernel: SessionKernel,
  instance: Instance,
  messages: MessageWithParts[],
): Promise<MessageWithParts[]> {
  const name = 'experimental.chat.messages.transform'
  if (!(await hasHook(kernel, instance, name))) return messages
  const output = await triggerHook(kernel, instance, name, {}, { messages: structuredClone(messages) })
  return Array.isArray(output.messages) ? output.messages : messages
}

/**
 * `experimental.session.compacting`, when a summary is asked for: `context` strings are added to
 * the summary request, a `prompt` replaces it.
 */
export async function compactingPrompt(
  kernel: SessionKernel,
  instance: Instance,
  sessionID: string,
  messages: ModelMessage[],
): Promise<void> {
  const output = await triggerHook(
    kernel,
    instance,
    'experimental.session.compacting',
    { sessionID },
    { context: [] as string[], prompt: undefined as string | undefined },
  )
  const context = Array.isArray(output.context)
    ? output.context.filter((entry): entry is string => typeof entry === 'string')
    : []
  if (!context.length && typeof output.prompt !== 'string') return
  const request = messages.findLast((message) => message.role === 'user')
  if (!request) return
  const edit = (text: string) =>
    (typeof output.prompt === 'string' ? output.prompt : text) + (context.length ? '\n\n' + context.join('\n\n') : '')
  // A request of one text part comes as a plain string (see toModelMessages).
  if (typeof request.content === 'string') {
    if (request.content === COMPACTION_QUESTION) request.content = edit(request.content)
    return
  }
  const part = request.content.find((entry) => entry.type === 'text' && entry.text === COMPACTION_QUESTION) as
    { text: string } | undefined
  if (part) part.text = edit(part.text)
}

/** `experimental.compaction.autocontinue`: whether the turn goes on after an automatic summary. */
export async function autoContinue(
  kernel: SessionKernel,
  instance: Instance,
  input: { sessionID: string; agent: AgentInfo; model: ModelInfo; message: UserMessage; overflow: boolean },
): Promise<boolean> {
  const hookInput = {
    sessionID: input.sessionID,
    agent: input.agent.name,
    model: input.model,
    provider: { id: input.model.providerID },
    message: input.message,
    overflow: input.overflow,
  }
  return (
    (await triggerHook(kernel, instance, 'experimental.compaction.autocontinue', hookInput, { enabled: true }))
      .enabled !== false
  )
}

/** `tool.definition`, each time a tool is offered to the model: the description and JSON schema it is shown with. */
export async function shownTool(
  kernel: SessionKernel,
  instance: Instance,
  definition: ToolDefinition,
): Promise<{ description: string; parameters: unknown }> {
  const output = await triggerHook(
    kernel,
    instance,
    'tool.definition',
    { toolID: definition.id },
    { description: definition.description, parameters: definition.parameters, jsonSchema: undefined as unknown },
  )
  return {
    description: typeof output.description === 'string' ? output.description : definition.description,
    parameters: output.jsonSchema ?? output.parameters ?? definition.parameters,
  }
}
