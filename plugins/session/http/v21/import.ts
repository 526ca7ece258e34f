// A transcript made by OpenCode 2.1's export (typed messages and entries) as the one stored
// conversation: the inverse of views.ts. Ids are kept, so an import exports as it was exported;
// part ids are new (2.1 shows none). Pure: the route validates, checks ids and writes.
import { ascendingId } from '../../../../sdk/index.js'
import type { AssistantMessage, MessageWithParts, Part, SessionInfo, ToolState, UserMessage } from '../../schemas.js'
import type { SessionEntry } from '../../store/entries.js'

type Data = Record<string, unknown>
type Tokens = SessionInfo['tokens']
type ModelRef = { id: string; providerID: string }

/** A 2.1 transcript item, already checked against its type's schema (import-schemas.ts). */
export interface Item21 {
  id: string
  type: string
  time: { created: number; completed?: number }
  [key: string]: unknown
}

/** Where the imported session lives and what its messages default to. */
export interface ImportContext {
  sessionID: string
  directory: string
  worktree: string
  agent: string
  model: ModelRef
}

/** The entries 2.1 shows that have no v1 message: stored as they are. */
export const ENTRY_TYPES = new Set([
  'idle',
  'agent-switched',
  'model-switched',
  'location-switched',
  'system',
  'skill',
  'shell',
])

const ZERO: Tokens = { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } }

/** An id that sorts just before `id` (the user message a compaction answers, which 2.1 does not show). */
export function justBefore(id: string): string {
  const last = id.at(-1)!
  if (last === '0') return id.slice(0, -1)
  const previous = last === 'a' ? 'Z' : last === 'A' ? '9' : String.fromCharCode(last.charCodeAt(0) - 1)
  return `${id.slice(0, -1)}${previous}z`
}

class Transcript {
  readonly messages: MessageWithParts[] = []
  readonly entries: SessionEntry[] = []
  private agent: string
  private model: ModelRef
  private lastUser: string | undefined

  constructor(private readonly context: ImportContext) {
    this.agent = context.agent
    this.model = context.model
  }

  private part(messageID: string, part: Data): Part {
    return { ...part, id: ascendingId('prt'), sessionID: this.context.sessionID, messageID } as Part
  }

  private user(id: string, created: number, parts: Data[]): void {
    const info: UserMessage = {
      id,
      sessionID: this.context.sessionID,
      role: 'user',
      time: { created },
      agent: this.agent,
      model: { providerID: this.model.providerID, modelID: this.model.id },
    }
    this.lastUser = id
    this.messages.push({ info, parts: parts.map((part) => this.part(id, part)) })
  }

  private assistant(item: Item21, extra: Partial<AssistantMessage>, parts: Data[]): void {
    const model = (item.model as ModelRef | undefined) ?? this.model
    const agent = typeof item.agent === 'string' ? item.agent : this.agent
    const info: AssistantMessage = {
      id: item.id,
      sessionID: this.context.sessionID,
      role: 'assistant',
      time: { created: item.time.created, ...(item.time.completed ? { completed: item.time.completed } : {}) },
      parentID: this.lastUser ?? item.id,
      modelID: model.id,
      providerID: model.providerID,
      mode: agent,
      agent,
      path: { cwd: this.context.directory, root: this.context.worktree },
      cost: typeof item.cost === 'number' ? item.cost : 0,
      tokens: (item.tokens as Tokens | undefined) ?? structuredClone(ZERO),
      ...extra,
    }
    this.messages.push({ info, parts: parts.map((part) => this.part(item.id, part)) })
  }

  add(item: Item21): void {
    if (ENTRY_TYPES.has(item.type)) {
      if (item.type === 'agent-switched') this.agent = item.agent as string
      if (item.type === 'model-switched') this.model = item.model as ModelRef
      this.entries.push(item)
    } else if (item.type === 'user') this.user(item.id, item.time.created, userParts(item))
    else if (item.type === 'synthetic') {
      const description = typeof item.description === 'string' ? { description: item.description } : {}
      const text = item.text as string
      this.user(item.id, item.time.created, [
        { type: 'text', text, synthetic: true, metadata: { synthetic: true, ...description } },
      ])
    } else if (item.type === 'assistant') this.assistant(item, assistantExtra(item), assistantParts(item))
    else this.compaction(item)
  }

  /** A compaction: the user message that asked for it and the summary that answers it. */
  private compaction(item: Item21): void {
    const requestID = justBefore(item.id)
    this.user(requestID, item.time.created, [{ type: 'compaction', auto: item.reason === 'auto' }])
    const done = item.status === 'completed'
    const created = item.time.created
    const error = item.error as { message?: string } | undefined
    this.assistant(
      { ...item, time: { created, ...(item.status === 'running' ? {} : { completed: created }) } },
      {
        summary: true,
        ...(done ? { finish: 'stop' } : {}),
        ...(item.status === 'failed'
          ? { error: { name: 'UnknownError', data: { message: error?.message ?? 'Compaction failed' } } }
          : {}),
      },
      done ? [{ type: 'text', text: item.summary as string, time: { start: created, end: created } }] : [],
    )
  }
}

function userParts(item: Item21): Data[] {
  const files = (item.files as Data[] | undefined) ?? []
  const agents = (item.agents as { name: string }[] | undefined) ?? []
  const text = item.text as string
  return [
    ...(text || (!files.length && !agents.length) ? [{ type: 'text', text }] : []),
    ...files.map((file) => {
      const source = file.source as { uri?: string } | undefined
      const data = file.data as string
      const url = data ? `data:${file.mime as string};base64,${data}` : (source?.uri ?? '')
      return { type: 'file', mime: file.mime, url, ...(typeof file.name === 'string' ? { filename: file.name } : {}) }
    }),
    ...agents.map((agent) => ({ type: 'agent', name: agent.name })),
  ]
}

function assistantExtra(item: Item21): Partial<AssistantMessage> {
  const error = item.error as { type: string; message: string } | undefined
  const finish = typeof item.rawFinish === 'string' ? item.rawFinish.replace('_', '-') : (item.finish as string)
  return {
    ...(finish && !error ? { finish } : {}),
    ...(error
      ? {
          error:
            error.type === 'aborted'
              ? { name: 'MessageAbortedError', data: { message: error.message } }
              : { name: 'UnknownError', data: { message: error.message } },
        }
      : {}),
  }
}

function toolState(tool: Data): ToolState {
  const state = tool.state as Data
  const time = tool.time as { created: number; ran?: number; completed?: number }
  const start = time.ran ?? time.created
  const end = time.completed ?? start
  const input = (state.input as Data | string | undefined) ?? {}
  const metadata = (state.metadata as Data | undefined) ?? {}
  if (state.status === 'streaming') return { status: 'pending', input: {}, raw: typeof input === 'string' ? input : '' }
  const args = typeof input === 'string' ? {} : input
  if (state.status === 'running') return { status: 'running', input: args, metadata, time: { start } }
  if (state.status === 'error') {
    const error = state.error as { message: string }
    return { status: 'error', input: args, error: error.message, metadata, time: { start, end } }
  }
  const content = (state.content as { type: string; text?: string }[]) ?? []
  const output = content.flatMap((block) => (typeof block.text === 'string' ? [block.text] : [])).join('\n')
  return { status: 'completed', input: args, output, title: '', metadata, time: { start, end } }
}

/** The parts of a 2.1 assistant message: a step around its content, as the loop writes one. */
function assistantParts(item: Item21): Data[] {
  const snapshot = item.snapshot as { start?: string; end?: string; files?: string[] } | undefined
  const created = item.time.created
  const end = item.time.completed ?? created
  const content = (item.content as Data[]).map((block): Data => {
    if (block.type === 'tool') return { type: 'tool', callID: block.id, tool: block.name, state: toolState(block) }
    if (block.type === 'reasoning') {
      const time = block.time as { created: number; completed?: number }
      return {
        type: 'reasoning',
        text: block.text,
        time: { start: time.created, ...(time.completed ? { end: time.completed } : {}) },
      }
    }
    return { type: 'text', text: block.text, time: { start: created, end } }
  })
  const finished = item.time.completed !== undefined
  return [
    { type: 'step-start', ...(snapshot?.start ? { snapshot: snapshot.start } : {}) },
    ...content,
    ...(finished
      ? [
          {
            type: 'step-finish',
            reason: (item.rawFinish as string | undefined)?.replace('_', '-') ?? (item.finish as string) ?? 'stop',
            ...(snapshot?.end ? { snapshot: snapshot.end } : {}),
            cost: typeof item.cost === 'number' ? item.cost : 0,
            tokens: (item.tokens as Tokens | undefined) ?? structuredClone(ZERO),
          },
        ]
      : []),
    ...(snapshot?.end && snapshot.files?.length ? [{ type: 'patch', hash: snapshot.end, files: snapshot.files }] : []),
  ]
}

/** The stored messages and entries of a 2.1 transcript, oldest first. */
export function storedTranscript(items: Item21[], context: ImportContext): Pick<Transcript, 'messages' | 'entries'> {
  const transcript = new Transcript(context)
  for (const item of [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) transcript.add(item)
  return transcript
}
