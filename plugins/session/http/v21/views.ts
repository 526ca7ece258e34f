// OpenCode 2.1's shapes of the one stored conversation: `Session.Info` and the transcript's
// messages (`user`, `assistant` with text/reasoning/tool content, `compaction`, and the entries
// v1 has no message for: `idle`, switches).
import { relative } from 'node:path'
import type { Static } from 'typebox'
import type { Session21Info } from './schemas.js'
import type { MessageWithParts, Part, SessionInfo, ToolPart } from '../../schemas.js'
import type { IdleEntry, SessionEntry } from '../../store/entries.js'
import { ownText } from '../../loop/prompt-parts.js'
import type { StoredRevert } from '../v2/views.js'

type Data = Record<string, unknown>
/** A message of 2.1's transcript. */
export type Message21 = { id: string; type: string; time: { created: number }; [key: string]: unknown }
type Tokens = SessionInfo['tokens']

function tokensView(tokens: Tokens): Tokens {
  const { input, output, reasoning, cache } = tokens
  return { input, output, reasoning, cache: { read: cache.read, write: cache.write } }
}

/** `revert` as 2.1 shows it: the boundary message and the files it restores. */
function revertView(revert: NonNullable<SessionInfo['revert']>): Data {
  const { messageID, partID, snapshot, boundary, files } = revert as StoredRevert
  return {
    messageID: boundary ?? messageID,
    ...(partID && boundary === undefined ? { partID } : {}),
    ...(snapshot ? { snapshot } : {}),
    ...(files
      ? {
          files: files.map((file) => ({
            file: file.path,
            patch: file.patch,
            additions: file.additions,
            deletions: file.deletions,
            status: file.status,
          })),
        }
      : {}),
  }
}

/** A 2.1 permission rule as the session stores it (v1's `{permission, pattern, action}`). */
export function ruleOf(rule: { action: string; resource: string; effect: 'allow' | 'deny' | 'ask' }) {
  return { permission: rule.action, pattern: rule.resource, action: rule.effect }
}

/** A stored session as 2.1's `Session.Info`; `idle` is the entry that ended its last run. */
export function sessionInfo21(
  info: SessionInfo,
  worktree: string | undefined,
  idle?: IdleEntry,
  viewed?: number,
): Static<typeof Session21Info> {
  const subpath = worktree && info.directory !== worktree ? relative(worktree, info.directory) : info.path || undefined
  return {
    id: info.id,
    ...(info.parentID ? { parentID: info.parentID } : {}),
    projectID: info.projectID,
    ...(info.agent ? { agent: info.agent } : {}),
    ...(info.model ? { model: info.model } : {}),
    cost: info.cost,
    tokens: tokensView(info.tokens),
    ...(idle ? { outcome: idle.outcome } : {}),
    time: {
      created: info.time.created,
      updated: info.time.updated,
      ...(idle ? { idle: idle.time.created } : {}),
      ...(viewed !== undefined ? { viewed } : {}),
      ...(info.time.archived !== undefined ? { archived: info.time.archived } : {}),
    },
    title: info.title,
    ...(subpath && !subpath.startsWith('..') ? { subpath } : {}),
    ...(info.metadata ? { metadata: info.metadata } : {}),
    ...(info.permission?.length
      ? {
          permissions: info.permission.map((rule): Data => ({
            action: rule.permission,
            resource: rule.pattern,
            effect: rule.action,
          })),
        }
      : {}),
    ...(info.revert ? { revert: revertView(info.revert) } : {}),
    location: { directory: info.directory },
  }
}

/** A file a user message carries, as 2.1's `Prompt.FileAttachment` (inline data only for `data:` URLs). */
function fileView(part: Extract<Part, { type: 'file' }>): Data {
  const inline = /^data:[^,]*;base64,(.*)$/s.exec(part.url)
  return {
    data: inline ? inline[1] : '',
    mime: part.mime,
    source: { type: 'uri', uri: part.url.startsWith('data:') ? part.url.slice(0, 100) : part.url },
    ...(part.filename ? { name: part.filename } : {}),
  }
}

/** The description of a 2.1 synthetic input's text part (undefined: not one). */
function syntheticOf(parts: Part[]): { description?: string } | undefined {
  const part = parts.find((candidate) => candidate.type === 'text' && candidate.metadata?.synthetic === true)
  if (part?.type !== 'text') return undefined
  const description = part.metadata?.description
  return typeof description === 'string' ? { description } : {}
}

function userView(id: string, created: number, parts: Part[]): Message21 {
  const synthetic = syntheticOf(parts)
  if (synthetic) {
    const text = parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n')
    return { id, time: { created }, text, ...synthetic, type: 'synthetic' }
  }
  const files = parts.flatMap((part) => (part.type === 'file' ? [fileView(part)] : []))
  const agents = parts.flatMap((part) => (part.type === 'agent' ? [{ name: part.name }] : []))
  return {
    id,
    time: { created },
    text: ownText(parts),
    ...(files.length ? { files } : {}),
    ...(agents.length ? { agents } : {}),
    type: 'user',
  }
}

function toolView(part: ToolPart): Data {
  const { state } = part
  const base = { type: 'tool', id: part.callID, name: part.tool, executed: false }
  switch (state.status) {
    case 'pending':
      return { ...base, state: { status: 'streaming', input: state.raw ?? '' }, time: { created: Date.now() } }
    case 'running':
      return {
        ...base,
        state: { status: 'running', input: state.input ?? {}, metadata: state.metadata ?? {} },
        time: { created: state.time.start, ran: state.time.start },
      }
    case 'completed':
      return {
        ...base,
        state: {
          status: 'completed',
          input: state.input ?? {},
          content: [{ type: 'text', text: state.output }],
          metadata: state.metadata ?? {},
        },
        time: { created: state.time.start, ran: state.time.start, completed: state.time.end },
      }
    case 'error':
      return {
        ...base,
        state: {
          status: 'error',
          input: state.input ?? {},
          error: { type: 'tool.execution', message: state.error },
          metadata: state.metadata ?? {},
        },
        time: { created: state.time.start, ran: state.time.start, completed: state.time.end },
      }
  }
}

function contentView(parts: Part[]): Data[] {
  const content: Data[] = []
  for (const part of parts) {
    // Text is filled once it has ended, as 2.1 does: mid-stream it is empty.
    if (part.type === 'text' && !part.synthetic) content.push({ type: 'text', text: part.time?.end ? part.text : '' })
    else if (part.type === 'reasoning') {
      content.push({
        type: 'reasoning',
        text: part.text,
        time: { created: part.time.start, ...(part.time.end ? { completed: part.time.end } : {}) },
      })
    } else if (part.type === 'tool') content.push(toolView(part))
  }
  return content
}

function assistantView(message: MessageWithParts): Message21 {
  const info = message.info as Extract<MessageWithParts['info'], { role: 'assistant' }>
  const { parts } = message
  const steps = parts.filter((part) => part.type === 'step-start' || part.type === 'step-finish')
  const start = steps.find((part) => part.type === 'step-start')?.snapshot
  const end = [...steps].reverse().find((part) => part.type === 'step-finish')?.snapshot
  const files = [...new Set(parts.flatMap((part) => (part.type === 'patch' ? part.files : [])))]
  const snapshot = start || end ? { ...(start ? { start } : {}), ...(end ? { end } : {}), files } : undefined
  const errorMessage = info.error && String((info.error.data as { message?: unknown }).message ?? info.error.name)
  const aborted = info.error?.name === 'MessageAbortedError'
  const finish = info.error ? 'error' : info.finish
  return {
    id: info.id,
    time: { created: info.time.created, ...(info.time.completed ? { completed: info.time.completed } : {}) },
    type: 'assistant',
    agent: info.agent || info.mode,
    model: { id: info.modelID, providerID: info.providerID },
    content: contentView(parts),
    ...(snapshot ? { snapshot } : {}),
    ...(finish ? { finish: FINISHES.has(finish) ? finish : 'unknown', rawFinish: finish.replace('-', '_') } : {}),
    ...(info.time.completed ? { cost: info.cost, tokens: tokensView(info.tokens) } : {}),
    ...(errorMessage !== undefined
      ? {
          error: aborted
            ? { type: 'aborted', message: 'Step interrupted' }
            : { type: 'unknown', message: errorMessage },
        }
      : {}),
  }
}

const FINISHES = new Set(['stop', 'length', 'tool-calls', 'content-filter', 'error', 'unknown'])

/**
 * A stored message as 2.1 shows it; undefined for what 2.1 does not show (the user message that
 * asked for a summary: the `compaction` entry stands for it).
 */
export function message21(
  message: MessageWithParts,
  reasonOf: (parentID: string) => 'auto' | 'manual',
): Message21 | undefined {
  const { info, parts } = message
  if (info.role === 'user') {
    if (parts.some((part) => part.type === 'compaction')) return undefined
    return userView(info.id, info.time.created, parts)
  }
  if (info.summary) {
    const status = info.error ? 'failed' : info.time.completed ? 'completed' : 'running'
    return {
      type: 'compaction',
      id: info.id,
      time: { created: info.time.created },
      status,
      reason: reasonOf(info.parentID),
      ...(status === 'completed'
        ? { model: { id: info.modelID, providerID: info.providerID }, summary: ownText(parts) }
        : status === 'running'
          ? { summary: '' }
          : { error: { type: 'compaction.failed', message: String((info.error!.data as Data).message ?? '') } }),
    }
  }
  return assistantView(message)
}

/** A transcript item: a stored message or an entry, either way sorted by id. */
export type TranscriptItem = { id: string; message?: MessageWithParts; entry?: SessionEntry }
