// Compaction: when a conversation nears the model's context limit (or on request), the model
// writes a summary and the loop continues from it instead of the whole history.
import { ascendingId } from '../../kernel/ids.js'
import type { ConfigObject } from '../../kernel/config.js'
import type { ModelInfo } from '../provider/types.js'
import type { CompactionPart, MessageWithParts, TextPart, Tokens, UserMessage } from './schemas.js'

/** What the compaction request says to the model (and shows in later history). */
export const COMPACTION_QUESTION = 'What did we do so far?'
/** The synthetic prompt that resumes work after an automatic compaction. */
export const CONTINUE_TEXT = 'Continue if you have next steps'
/** Tokens kept free for the reply when the config sets no `compaction.reserved`. */
const DEFAULT_RESERVED = 20_000

type UserWithParts = MessageWithParts & { info: UserMessage }

/**
 * Whether a step's tokens leave too little room for the next one: more than the model's input
 * limit (or context minus its output limit) less `compaction.reserved`. Config `compaction.auto:
 * false` turns automatic compaction off; models without a known context never overflow.
 */
export function isOverflow(tokens: Tokens, model: ModelInfo, config: ConfigObject): boolean {
  const settings = (config.compaction ?? {}) as { auto?: boolean; reserved?: number }
  if (settings.auto === false || !model.limit.context) return false
  const used = tokens.input + tokens.output + tokens.cache.read + tokens.cache.write
  const output = model.limit.output || 32_000
  const reserved = settings.reserved ?? Math.min(DEFAULT_RESERVED, output)
  const usable = model.limit.input ? model.limit.input - reserved : model.limit.context - output
  return used > Math.max(0, usable)
}

/** A user message (unsaved) in the style of `like`: same agent, model, system and tools. */
function userLike(like: UserMessage): UserMessage {
  const info: UserMessage = { id: ascendingId('msg'), sessionID: like.sessionID, role: 'user', time: { created: Date.now() }, agent: like.agent, model: like.model }
  if (like.system) info.system = like.system
  if (like.tools) info.tools = like.tools
  return info
}

/** The user message that asks for a summary. */
export function compactionRequest(like: UserMessage, auto: boolean): UserWithParts {
  const info = userLike(like)
  const part: CompactionPart = { id: ascendingId('prt'), sessionID: info.sessionID, messageID: info.id, type: 'compaction', auto }
  return { info, parts: [part] }
}

/** The synthetic prompt after an automatic compaction in the middle of a turn. */
export function continueRequest(like: UserMessage): UserWithParts {
  const info = userLike(like)
  const part: TextPart = { id: ascendingId('prt'), sessionID: info.sessionID, messageID: info.id, type: 'text', text: CONTINUE_TEXT, synthetic: true }
  return { info, parts: [part] }
}
