// App state as signals: a streaming delta changes one part's signal, so only that part re-renders.
import { batch, signal, type Signal } from '@preact/signals'
import type {
  Message,
  Part,
  PermissionRequest,
  Project,
  QuestionRequest,
  Session,
  SessionStatus,
  Todo,
} from '@opencode-ai/sdk/v2/client'
import { call, client, subscribe, type EventStream, type ServerEvent } from './api'

export type { Message, Part, Session }

/** Messages fetched when a session opens (a screenful), and per page when scrolling up. */
const FIRST_PAGE = 20
const PAGE = 40

export const projects = signal<Project[]>([])
export const directory = signal<string>('')
export const sessions = signal<Session[]>([])
export const sessionID = signal<string | undefined>(undefined)
export const statuses = signal<Record<string, SessionStatus>>({})
export const connection = signal<'connecting' | 'connected' | 'reconnecting'>('connecting')
export const permissions = signal<PermissionRequest[]>([])
export const questions = signal<QuestionRequest[]>([])
export const todos = signal<Todo[]>([])
export const errors = signal<{ id: number; message: string }[]>([])
export const needsLogin = signal(false)
/** Bumped on `session.diff` of the open session: the diff panel reloads. */
export const diffVersion = signal(0)

/** The open session's messages, oldest first; `hasOlder` when more can be paged in. */
export const messageIds = signal<string[]>([])
export const hasOlder = signal(false)
const messageById = new Map<string, Signal<Message>>()
const partIdsByMessage = new Map<string, Signal<string[]>>()
const partById = new Map<string, Signal<Part>>()

export function messageSignal(id: string): Signal<Message> | undefined {
  return messageById.get(id)
}
export function partIdsSignal(messageID: string): Signal<string[]> {
  let ids = partIdsByMessage.get(messageID)
  if (!ids) partIdsByMessage.set(messageID, (ids = signal([])))
  return ids
}
export function partSignal(id: string): Signal<Part> | undefined {
  return partById.get(id)
}

let nextError = 1
/** Shows an error banner for a failed action (it disappears by itself). */
export function reportError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error)
  const id = nextError++
  errors.value = [...errors.value, { id, message }]
  setTimeout(() => (errors.value = errors.value.filter((entry) => entry.id !== id)), 8000)
}

export function api() {
  return client(directory.value || undefined)
}

function putMessage(info: Message): void {
  const existing = messageById.get(info.id)
  if (existing) {
    existing.value = info
    return
  }
  messageById.set(info.id, signal(info))
  const ids = messageIds.value
  // Ids sort by creation time; a new message almost always goes last.
  if (ids.length === 0 || ids[ids.length - 1]! < info.id) messageIds.value = [...ids, info.id]
  else messageIds.value = [...ids, info.id].sort()
}

function putPart(part: Part): void {
  const existing = partById.get(part.id)
  if (existing) {
    existing.value = part
    return
  }
  partById.set(part.id, signal(part))
  const ids = partIdsSignal(part.messageID)
  ids.value = [...ids.value, part.id].sort()
}

function clearMessages(): void {
  messageById.clear()
  partIdsByMessage.clear()
  partById.clear()
  messageIds.value = []
  hasOlder.value = false
}

/** Loads a page of messages (the newest, or those before the oldest shown). */
export async function loadMessages(older = false): Promise<void> {
  const id = sessionID.value
  if (!id) return
  const before = older ? messageIds.value[0] : undefined
  const limit = older ? PAGE : FIRST_PAGE
  const page = await call(api().session.messages({ sessionID: id, limit, ...(before ? { before } : {}) }))
  if (sessionID.value !== id) return
  batch(() => {
    const known = new Set(messageIds.value)
    const fresh = page.filter((entry) => !known.has(entry.info.id))
    for (const entry of fresh) {
      messageById.set(entry.info.id, signal(entry.info))
      for (const part of entry.parts) partById.set(part.id, signal(part))
      partIdsSignal(entry.info.id).value = entry.parts.map((part) => part.id)
    }
    messageIds.value = [...fresh.map((entry) => entry.info.id), ...messageIds.value].sort()
    hasOlder.value = page.length >= limit
  })
}

export async function openSession(id: string | undefined): Promise<void> {
  if (sessionID.value === id && (messageIds.value.length || !id)) return
  batch(() => {
    sessionID.value = id
    clearMessages()
    todos.value = []
  })
  syncUrl()
  if (!id) return
  const [, list] = await Promise.all([loadMessages(), call(api().session.todo({ sessionID: id })).catch(() => [])])
  if (sessionID.value === id) todos.value = list
}

export async function loadSessions(): Promise<void> {
  sessions.value = await call(api().session.list({ roots: true }))
}

async function loadPending(): Promise<void> {
  const [perms, qs, status] = await Promise.all([
    call(api().permission.list()),
    call(api().question.list()),
    call(api().session.status()),
  ])
  batch(() => {
    permissions.value = perms
    questions.value = qs
    statuses.value = status
  })
}

let stream: EventStream | undefined

/** Stops following events (signed out). */
export function disconnect(): void {
  stream?.close()
  stream = undefined
  connection.value = 'connecting'
}

/** Switches to a project directory: its sessions, pending requests and live events. */
export async function openDirectory(dir: string, session?: string): Promise<void> {
  stream?.close()
  batch(() => {
    directory.value = dir
    sessions.value = []
    sessionID.value = undefined
    clearMessages()
  })
  localStorage.setItem('opencode.directory', dir)
  connection.value = 'connecting'
  stream = subscribe(dir, handleEvent, (state) => {
    const wasDown = connection.value === 'reconnecting'
    connection.value = state
    // Back after a drop: the replay covers events; refresh lists in case it could not.
    if (state === 'connected' && wasDown) void refresh()
  })
  await Promise.all([loadSessions(), loadPending(), openSession(session)])
}

async function refresh(): Promise<void> {
  await Promise.all([loadSessions(), loadPending()]).catch(reportError)
}

export async function loadProjects(): Promise<void> {
  projects.value = await call(client().project.list())
}

/** Opens (and so registers) a directory as a project. */
export async function addProject(dir: string): Promise<void> {
  await call(client(dir).project.current())
  await Promise.all([loadProjects(), openDirectory(dir)])
}

export function syncUrl(): void {
  const path = sessionID.value ? `/s/${sessionID.value}` : '/'
  const url = `${path}?dir=${encodeURIComponent(directory.value)}`
  if (location.pathname + location.search !== url) history.replaceState(null, '', url)
}

function upsertSession(info: Session): void {
  if (info.parentID) return
  const list = sessions.value
  const index = list.findIndex((entry) => entry.id === info.id)
  sessions.value = index === -1 ? [info, ...list] : list.map((entry) => (entry.id === info.id ? info : entry))
}

/** Applies one server event to the state. */
export function handleEvent(event: ServerEvent): void {
  const { type, properties: p } = event
  const current = sessionID.value
  switch (type) {
    case 'message.part.delta': {
      if (p.sessionID !== current) return
      const part = partById.get(p.partID)
      if (!part) return
      const value = part.value as Record<string, unknown>
      part.value = { ...value, [p.field]: String(value[p.field] ?? '') + p.delta } as Part
      return
    }
    case 'message.part.updated':
      if (p.sessionID === current && messageById.has(p.part.messageID)) putPart(p.part)
      return
    case 'message.part.removed': {
      if (p.sessionID !== current) return
      partById.delete(p.partID)
      const ids = partIdsSignal(p.messageID)
      ids.value = ids.value.filter((id) => id !== p.partID)
      return
    }
    case 'message.updated':
      if (p.sessionID === current) putMessage(p.info)
      return
    case 'message.removed':
      if (p.sessionID !== current) return
      messageById.delete(p.messageID)
      messageIds.value = messageIds.value.filter((id) => id !== p.messageID)
      return
    case 'session.created':
    case 'session.updated':
      upsertSession(p.info)
      // A revert or unrevert changes what the diff panel shows.
      if (p.info.id === current) diffVersion.value++
      return
    case 'session.deleted':
      sessions.value = sessions.value.filter((entry) => entry.id !== p.info.id)
      if (current === p.info.id) void openSession(undefined)
      return
    case 'session.status':
      statuses.value = { ...statuses.value, [p.sessionID]: p.status }
      return
    case 'session.error':
      if (p.sessionID === current && p.error?.name !== 'MessageAbortedError')
        reportError(p.error?.data?.message ?? p.error?.name ?? 'The session failed')
      return
    case 'permission.asked':
      permissions.value = [...permissions.value.filter((entry) => entry.id !== p.id), p]
      return
    case 'permission.replied':
      permissions.value = permissions.value.filter((entry) => entry.id !== p.requestID)
      return
    case 'question.asked':
      questions.value = [...questions.value.filter((entry) => entry.id !== p.id), p]
      return
    case 'question.replied':
    case 'question.rejected':
      questions.value = questions.value.filter((entry) => entry.id !== p.requestID)
      return
    case 'session.diff':
      if (p.sessionID === current) diffVersion.value++
      return
    case 'todo.updated':
      if (p.sessionID === current) todos.value = p.todos
      return
    case 'project.updated':
      void loadProjects().catch(reportError)
      return
    case 'server.resync.required':
      void refresh()
      if (current) {
        clearMessages()
        void loadMessages().catch(reportError)
      }
      return
  }
}
