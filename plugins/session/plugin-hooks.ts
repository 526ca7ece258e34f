// Where the agent loop fires OpenCode plugin hooks (`PluginHooks`): one call per moment, so the
// loop itself only names the moment. Without a hook runner each call returns its input unchanged.
import type { Instance } from '../../kernel/instance.js'
import type { Kernel } from '../../kernel/plugin.js'
import { triggerHook } from '../../sdk/hooks.js'
import type { AgentInfo } from '../agent/types.js'
import type { ModelInfo } from '../provider/types.js'
import type { MessageWithParts, UserMessage } from './schemas.js'

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
  kernel: Kernel,
  instance: Instance,
  input: { sessionID: string; agent: AgentInfo; model: ModelInfo; message: UserMessage },
  base: { temperature?: number; topP?: number; providerOptions?: Record<string, Record<string, never>> },
): Promise<CallSettings> {
  const providerID = input.model.providerID
  const hookInput = { sessionID: input.sessionID, agent: input.agent.name, model: input.model, provider: { source: 'config', info: { id: providerID }, options: {} }, message: input.message }
  const params = await triggerHook(kernel, instance, 'chat.params', hookInput, {
    temperature: base.temperature,
    topP: base.topP,
    topK: undefined as number | undefined,
    maxOutputTokens: undefined as number | undefined,
    options: { ...(base.providerOptions?.[providerID] ?? {}) } as Record<string, unknown>,
  })
  const { headers } = await triggerHook(kernel, instance, 'chat.headers', hookInput, { headers: {} as Record<string, string> })
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
export async function transformSystem(kernel: Kernel, instance: Instance, sessionID: string, model: ModelInfo, system: string[]): Promise<string[]> {
  const output = await triggerHook(kernel, instance, 'experimental.chat.system.transform', { sessionID, model }, { system })
  return Array.isArray(output.system) ? output.system.filter((entry): entry is string => typeof entry === 'string') : system
}

/** `experimental.chat.messages.transform`: edits what the model is sent (never what is stored). */
export async function transformMessages(kernel: Kernel, instance: Instance, messages: MessageWithParts[]): Promise<MessageWithParts[]> {
  const output = await triggerHook(kernel, instance, 'experimental.chat.messages.transform', {}, { messages })
  return Array.isArray(output.messages) ? output.messages : messages
}
