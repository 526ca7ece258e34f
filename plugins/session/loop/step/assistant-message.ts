// A step's assistant message: made before the model is called, then its tokens, cost and error.
import { ascendingId, type Instance } from '../../../../sdk/index.js'
import type { ModelInfo } from '../../../provider/types.js'
import type { AssistantMessage, MessageError, Tokens } from '../../schemas.js'
import { errorMessage } from './ai-sdk.js'

/** What one model call used, from its `finish-step` chunk (input without the cached tokens). */
export interface Usage {
  input: number
  output: number
  reasoning: number
  cacheRead: number
  cacheWrite: number
}

export const zeroTokens = (): Tokens => ({ input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } })

/** A new assistant message (unsaved) answering `parentID`, with no tokens spent yet. */
export function assistantMessage(
  instance: Instance,
  sessionID: string,
  parentID: string,
  model: { providerID: string; modelID: string },
  agent: string,
): AssistantMessage {
  return {
    id: ascendingId('msg'),
    sessionID,
    role: 'assistant',
    time: { created: Date.now() },
    parentID,
    modelID: model.modelID,
    providerID: model.providerID,
    mode: agent,
    agent,
    path: { cwd: instance.directory, root: instance.worktree },
    cost: 0,
    tokens: zeroTokens(),
  }
}

/** The message's token counts; zero when the call reported no usage. */
export function tokensOf(usage: Usage | undefined): Tokens {
  return usage
    ? {
        total: usage.input + usage.output + usage.cacheRead + usage.cacheWrite,
        input: usage.input,
        output: usage.output,
        reasoning: usage.reasoning,
        cache: { read: usage.cacheRead, write: usage.cacheWrite },
      }
    : zeroTokens()
}

/** What the call cost, from the model's prices per million tokens. */
export function costOf(usage: Usage | undefined, model: ModelInfo): number {
  return usage
    ? (usage.input * model.cost.input +
        usage.output * model.cost.output +
        usage.cacheRead * model.cost.cache.read +
        usage.cacheWrite * model.cost.cache.write) /
        1_000_000
    : 0
}

/** Turns whatever a step threw into the message error OpenCode clients know. */
export function toMessageError(error: unknown, providerID: string, aborted: boolean): MessageError {
  if (aborted) return { name: 'MessageAbortedError', data: { message: 'Aborted' } }
  const e = error as {
    name?: string
    statusCode?: number
    isRetryable?: boolean
    responseBody?: string
    message?: string
  }
  if (e && typeof e === 'object' && (e.name === 'AI_APICallError' || typeof e.statusCode === 'number')) {
    const message = errorMessage(error)
    if (e.statusCode === 401 || e.statusCode === 403)
      return { name: 'ProviderAuthError', data: { providerID, message } }
    return {
      name: 'APIError',
      data: {
        message,
        isRetryable: e.isRetryable ?? false,
        ...(e.statusCode !== undefined ? { statusCode: e.statusCode } : {}),
        ...(e.responseBody ? { responseBody: e.responseBody.slice(0, 10_000) } : {}),
      },
    }
  }
  if (e?.name === 'AI_LoadAPIKeyError')
    return { name: 'ProviderAuthError', data: { providerID, message: errorMessage(error) } }
  return { name: 'UnknownError', data: { message: errorMessage(error) } }
}
