import type { Static } from 'typebox'
import { relative } from 'node:path'
import type { MessageWithParts, Part, SessionInfo, ToolPart } from '../../schemas.js'
import type { RevertState, SessionMessage, SessionMessageAssistant, SessionV2Info } from './schemas.js'
import { promptOf } from './events.js'
import { ownText } from '../../loop/prompt-parts.js'

type AssistantView = Static<typeof SessionMessageAssistant>
type AssistantContent = AssistantView['content'][number]
type SessionMessageView = Static<typeof SessionMessage>

type TokensView = Static<typeof SessionV2Info>['tokens']
type RevertView = Static<typeof RevertState>

/** `session.revert` as stored: v1's fields, and what a v2 stage adds (v1 answers leave those out). */
export type StoredRevert = NonNullable<SessionInfo['revert']> & {
  /** The v2 boundary message (kept); present only on a revert staged through v2 (`revert.ts`). */
  boundary?: string
  files?: NonNullable<RevertView['files']>
}

/** Whether a session's revert was staged through v2 (a new prompt then does not commit it). */
export function isStagedRevert(revert: SessionInfo['revert']): boolean {
  return typeof (revert as StoredRevert | undefined)?.boundary === 'string'
}

/** `session.revert` as v2 shows it: a staged revert with its boundary, else v1's fields as they are. */
export function revertV2View(revert: SessionInfo['revert']): RevertView | undefined {
  if (!revert) return undefined
  const { messageID, partID, snapshot, diff, boundary, files } = revert as StoredRevert
  if (boundary === undefined)
    return {
      messageID,
      ...(partID ? { partID } : {}),
      ...(snapshot ? { snapshot } : {}),
      ...(diff !== undefined ? { diff } : {}),
    }
  return { messageID: boundary, ...(snapshot ? { snapshot } : {}), diff: diff ?? '', files: files ?? [] }
}

/** Token counts without v1's extra `total`. */
function tokensView(tokens: TokensView): TokensView {
  return {
    input: tokens.input,
    output: tokens.output,
    reasoning: tokens.reasoning,
    cache: { read: tokens.cache.read, write: tokens.cache.write },
  }
}

/** A stored session as v2 shows it (`location` is its directory; `subpath` when below the project root). */
export function sessionV2View(info: SessionInfo, worktree?: string): Static<typeof SessionV2Info> {
  const subpath = worktree && info.directory !== worktree ? relative(worktree, info.directory) : info.path || undefined
  return {
    id: info.id,
    ...(info.parentID ? { parentID: info.parentID } : {}),
    projectID: info.projectID,
    ...(info.agent ? { agent: info.agent } : {}),
    ...(info.model ? { model: info.model } : {}),
    cost: info.cost,
    tokens: tokensView(info.tokens),
    time: {
      created: info.time.created,
      updated: info.time.updated,
      ...(info.time.archived !== undefined ? { archived: info.time.archived } : {}),
    },
    title: info.title,
    location: { directory: info.directory, ...(info.workspaceID ? { workspaceID: info.workspaceID } : {}) },
    ...(subpath && !subpath.startsWith('..') ? { subpath } : {}),
    ...(info.revert ? { revert: revertV2View(info.revert) } : {}),
  }
}

function toolView(part: ToolPart): AssistantContent {
  const { state } = part
  const base = { type: 'tool' as const, id: part.callID, name: part.tool, provider: { executed: false } }
  switch (state.status) {
    case 'pending':
      return {
        ...base,
        state: { status: 'pending', input: state.raw || JSON.stringify(state.input ?? {}) },
        time: { created: Date.now() },
      }
    case 'running':
      return {
        ...base,
        state: { status: 'running', input: state.input, structured: state.metadata ?? {}, content: [] },
        time: { created: state.time.start, ran: state.time.start },
      }
    case 'completed':
      return {
        ...base,
        state: {
          status: 'completed',
          input: state.input,
          content: [{ type: 'text', text: state.output }],
          structured: state.metadata,
          ...(state.attachments?.length
            ? {
                attachments: state.attachments.map((file) => ({
                  uri: file.url,
                  mime: file.mime,
                  ...(file.filename ? { name: file.filename } : {}),
                })),
              }
            : {}),
        },
        time: { created: state.time.start, ran: state.time.start, completed: state.time.end },
      }
    case 'error':
      return {
        ...base,
        state: {
          status: 'error',
          input: state.input,
          content: [],
          structured: state.metadata ?? {},
          error: { type: 'unknown', message: state.error },
        },
        time: { created: state.time.start, ran: state.time.start, completed: state.time.end },
      }
  }
}

function assistantContent(parts: Part[]): AssistantContent[] {
  const content: AssistantContent[] = []
  for (const part of parts) {
    if (part.type === 'text' && !part.synthetic) content.push({ type: 'text', id: part.id, text: part.text })
    else if (part.type === 'reasoning') {
      content.push({
        type: 'reasoning',
        id: part.id,
        text: part.text,
        time: { created: part.time.start, ...(part.time.end ? { completed: part.time.end } : {}) },
      })
    } else if (part.type === 'tool') content.push(toolView(part))
  }
  return content
}

/**
 * A stored message as v2's flat `SessionMessage`: user text with its files and agents, assistant
 * content items, and a finished summary as a `compaction` entry. Undefined for what v2 does not
 * show (the user message that asked for a summary: its `compaction` entry stands for it).
 */
export function messageV2View(
  message: MessageWithParts,
  reasonOf: (parentID: string) => 'auto' | 'manual',
): SessionMessageView | undefined {
  const { info, parts } = message
  if (info.role === 'user') {
    if (parts.some((part) => part.type === 'compaction')) return undefined
    return { id: info.id, type: 'user', time: { created: info.time.created }, ...promptOf(parts) }
  }
  if (info.summary && info.time.completed && !info.error) {
    const summary = ownText(parts)
    return {
      id: info.id,
      type: 'compaction',
      reason: reasonOf(info.parentID),
      summary,
      recent: '',
      time: { created: info.time.created },
    }
  }
  const steps = parts.filter((part) => part.type === 'step-start' || part.type === 'step-finish')
  const start = steps.find((part) => part.type === 'step-start')?.snapshot
  const end = [...steps].reverse().find((part) => part.type === 'step-finish')?.snapshot
  const files = [...new Set(parts.flatMap((part) => (part.type === 'patch' ? part.files : [])))]
  const snapshot =
    start || end || files.length
      ? { ...(start ? { start } : {}), ...(end ? { end } : {}), ...(files.length ? { files } : {}) }
      : undefined
  const errorMessage = info.error
    ? String((info.error.data as { message?: unknown }).message ?? info.error.name)
    : undefined
  return {
    id: info.id,
    type: 'assistant',
    time: { created: info.time.created, ...(info.time.completed ? { completed: info.time.completed } : {}) },
    agent: info.agent || info.mode,
    model: { id: info.modelID, providerID: info.providerID },
    content: assistantContent(parts),
    ...(snapshot ? { snapshot } : {}),
    ...(info.error ? { finish: 'error' } : info.finish ? { finish: info.finish } : {}),
    cost: info.cost,
    tokens: tokensView(info.tokens),
    ...(errorMessage !== undefined ? { error: { type: 'unknown' as const, message: errorMessage } } : {}),
  }
}
