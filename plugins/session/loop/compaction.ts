// Compaction: when a conversation nears the model's context limit (or on request), the model
// writes a summary and the loop continues from it instead of the whole history.
import { ascendingId, type ConfigObject } from '../../../sdk/index.js'
import type { ModelInfo } from '../../provider/types.js'
import type {
  CompactionPart,
  MessageError,
  MessageWithParts,
  TextPart,
  Tokens,
  ToolPart,
  UserMessage,
} from '../schemas.js'

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

/** What a synthetic user message copies from the one it follows. */
export type UserTemplate = Pick<UserMessage, 'sessionID' | 'agent' | 'model'> &
  Partial<Pick<UserMessage, 'system' | 'tools' | 'format'>>

/** A user message (unsaved) in the style of `like`: same agent, model, system, tools and format. */
function userLike(like: UserTemplate): UserMessage {
  const info: UserMessage = {
    id: ascendingId('msg'),
    sessionID: like.sessionID,
    role: 'user',
    time: { created: Date.now() },
    agent: like.agent,
    model: like.model,
  }
  if (like.system) info.system = like.system
  if (like.tools) info.tools = like.tools
  if (like.format) info.format = like.format
  return info
}

/** The user message that asks for a summary. */
export function compactionRequest(like: UserTemplate, auto: boolean): UserWithParts {
  const info = userLike(like)
  const part: CompactionPart = {
    id: ascendingId('prt'),
    sessionID: info.sessionID,
    messageID: info.id,
    type: 'compaction',
    auto,
  }
  return { info, parts: [part] }
}

/** A synthetic prompt (unsaved) in the style of `like`. */
export function syntheticRequest(like: UserTemplate, text: string): UserWithParts {
  const info = userLike(like)
  const part: TextPart = {
    id: ascendingId('prt'),
    sessionID: info.sessionID,
    messageID: info.id,
    type: 'text',
    text,
    synthetic: true,
  }
  return { info, parts: [part] }
}

/** The synthetic prompt after an automatic compaction in the middle of a turn. */
export function continueRequest(like: UserTemplate): UserWithParts {
  return syntheticRequest(like, CONTINUE_TEXT)
}

/** Tokens of the newest tool output that pruning keeps. */
const PRUNE_PROTECT = 40_000
/** Pruning happens only when it would clear at least this many tokens. */
const PRUNE_MINIMUM = 20_000
/** Tools whose output stays (a loaded skill is instructions, not a result). */
const PRUNE_KEEP = new Set(['skill'])

/**
 * Completed tool calls whose output later model calls need no longer send whole: beyond the
 * newest ~40,000 tokens of tool output, outside the last two turns, stopping at the last summary
 * or at output pruned before (so each call looks only at what is new). Empty when less than
 * ~20,000 tokens would go. Tokens are estimated as characters / 4.
 */
export function partsToPrune(history: MessageWithParts[]): ToolPart[] {
  let turns = 0
  let seen = 0
  let pruned = 0
  const parts: ToolPart[] = []
  scan: for (let i = history.length - 1; i >= 0; i--) {
    const { info, parts: messageParts } = history[i]!
    if (info.role === 'user') turns++
    if (turns < 2) continue
    if (info.role === 'assistant' && info.summary) break
    for (let j = messageParts.length - 1; j >= 0; j--) {
      const part = messageParts[j]!
      if (part.type !== 'tool' || part.state.status !== 'completed' || PRUNE_KEEP.has(part.tool)) continue
      if (part.state.time.compacted) break scan
      const tokens = Math.ceil(part.state.output.length / 4)
      seen += tokens
      if (seen > PRUNE_PROTECT) {
        pruned += tokens
        parts.push(part)
      }
    }
  }
  return pruned > PRUNE_MINIMUM ? parts : []
}

const OVERFLOW_MESSAGE =
  /context.{0,30}(length|window|limit|size)|maximum context|too many tokens|prompt is too long|input is too long|too large for the model|exceeds? the (maximum|max|context)|token limit/i

/** Whether a failed reply says the request did not fit the model's context. */
export function isContextOverflow(error: MessageError | undefined): boolean {
  if (!error || error.name !== 'APIError') return false
  const data = error.data as { message?: unknown; responseBody?: unknown; statusCode?: unknown }
  if (data.statusCode === 413) return true
  return OVERFLOW_MESSAGE.test(`${String(data.message ?? '')} ${String(data.responseBody ?? '')}`)
}

/** Share of the model's input budget a trimmed history may fill (the estimate is rough). */
const FIT_SHARE = 0.7

/**
 * The newest messages whose estimated size (characters / 4) fits the model's input budget, from
 * a user message on; the last message is always kept. For a summary of a conversation that no
 * longer fits the context.
 */
export function fitHistory(history: MessageWithParts[], model: ModelInfo): MessageWithParts[] {
  const budget = ((model.limit.input || model.limit.context - (model.limit.output || 0)) * FIT_SHARE) | 0
  if (budget <= 0 || history.length === 0) return history
  let start = history.length - 1
  let used = JSON.stringify(history[start]!.parts).length / 4
  while (start > 0) {
    const size = JSON.stringify(history[start - 1]!.parts).length / 4
    if (used + size > budget) break
    used += size
    start--
  }
  while (start < history.length - 1 && history[start]!.info.role !== 'user') start++
  return history.slice(start)
}
