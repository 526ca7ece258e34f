// Messages on OpenCode 2.1's contract (`/api/session/:id/message…`, `…/context`): the stored
// conversation as 2.1's message types, merged with the entries v1 has no message for.
import { Type } from 'typebox'
import {
  DataEnvelope,
  InvalidRequestError,
  StringEnum,
  cursorErrors,
  decodeCursor,
  ref,
  v2Errors,
  type PluginApp,
} from '../../../../sdk/index.js'
import { MessageNotFoundV2 } from '../../errors.js'
import type { MessageWithParts } from '../../schemas.js'
import { storedSession } from '../../store/locate.js'
import type { SessionStore } from '../../store/store.js'
import { isPageCursor, walk, type PageCursor } from './paging.js'
import type { SessionEntry } from '../../store/entries.js'
import { nullableCursors } from '../v21/paging.js'
import { NullableCursors, Session21Message } from '../v21/schemas.js'
import { message21, type TranscriptItem } from '../v21/views.js'
import {
  routeTags as tags,
  routeConfig as config,
  SessionParams,
  SessionID,
  sessionNotFound as notFound,
} from './route-defaults.js'
import type { SessionV2Deps } from './routes.js'
import { MessageNotFoundErrorBody, SessionNotFoundErrorBody } from './schemas.js'

const MessageID = Type.String({ pattern: '^msg_', maxLength: 100 })

/** Messages as 2.1 shows them; a summary's reason is on the user message that asked for it. */
function messagesView(store: SessionStore, sessionID: string, messages: MessageWithParts[]) {
  const byID = new Map(messages.map((message) => [message.info.id, message]))
  const reasonOf = (parentID: string) => {
    const parent = byID.get(parentID) ?? store.getMessage(sessionID, parentID)
    const part = parent?.parts.find((candidate) => candidate.type === 'compaction')
    return part?.type === 'compaction' && part.auto ? ('auto' as const) : ('manual' as const)
  }
  return (message: MessageWithParts) => message21(message, reasonOf)
}

/** Messages and entries in walking order (ids ascending when `up`), at most `limit`. */
function merged(messages: MessageWithParts[], entries: SessionEntry[], up: boolean, limit: number): TranscriptItem[] {
  const items: TranscriptItem[] = [
    ...messages.map((message) => ({ id: message.info.id, message })),
    ...entries.map((entry) => ({ id: entry.id, entry })),
  ]
  items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) * (up ? 1 : -1))
  return items.slice(0, limit)
}

const MESSAGE_TYPES = [
  'user',
  'synthetic',
  'system',
  'skill',
  'shell',
  'idle',
  'agent-switched',
  'model-switched',
  'location-switched',
  'compaction',
  'assistant',
]

/** `GET /api/session/:sessionID/message`: a page of the transcript. */
export function registerMessageListRoute(app: PluginApp, { sessions, entries }: SessionV2Deps): void {
  const store = sessions.store
  app.get(
    '/api/session/:sessionID/message',
    {
      config,
      schema: {
        operationId: 'session.message.list',
        tags,
        summary: 'List messages',
        description:
          "The conversation of `GET /session/:id/message` as 2.1's messages, with the entries v1 has none for (`idle`, switches), newest first by default; `limit` 1–500 (50); `type` keeps one type (on the page read); send back `cursor` alone to move.",
        params: SessionParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          order: Type.Optional(StringEnum(['asc', 'desc'])),
          type: Type.Optional(StringEnum(MESSAGE_TYPES)),
          cursor: Type.Optional(Type.String({ maxLength: 1000 })),
        }),
        response: {
          200: Type.Object(
            { data: Type.Array(ref(Session21Message)), cursor: NullableCursors },
            { additionalProperties: false },
          ),
          ...v2Errors({ ...cursorErrors(), 404: ref(SessionNotFoundErrorBody) }),
        },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const query = request.query
      if (query.cursor && query.order)
        throw new InvalidRequestError('Cursor cannot be combined with order', { kind: 'Query', field: 'order' })
      storedSession(store, sessionID)
      const cursor = query.cursor ? decodeCursor<PageCursor>(query.cursor, isPageCursor) : undefined
      const order = cursor?.order ?? query.order ?? 'desc'
      const limit = query.limit ?? 50
      const { anchor, up, reverse } = walk(order, cursor, true)
      const page = merged(
        store.messagesFrom(sessionID, anchor, up, limit),
        entries.from(sessionID, anchor, up, limit),
        up,
        limit,
      )
      if (reverse) page.reverse()
      const view = messagesView(
        store,
        sessionID,
        page.flatMap((item) => (item.message ? [item.message] : [])),
      )
      const data = page
        .flatMap((item) => (item.message ? (view(item.message) ?? []) : [item.entry!]))
        .filter((message) => !query.type || message.type === query.type)
      return {
        data,
        cursor: nullableCursors(
          page.map((item) => item.id),
          order,
        ),
      }
    },
  )
}

/** `GET /api/session/:sessionID/message/:messageID` and `…/context`. */
export function registerMessageReadRoutes(app: PluginApp, { sessions, entries }: SessionV2Deps): void {
  const store = sessions.store
  app.get(
    '/api/session/:sessionID/message/:messageID',
    {
      config,
      schema: {
        operationId: 'session.message.get',
        tags,
        summary: 'Get a message',
        params: Type.Object({ sessionID: SessionID, messageID: MessageID }),
        response: {
          200: DataEnvelope(ref(Session21Message)),
          ...v2Errors({ 404: Type.Union([ref(MessageNotFoundErrorBody), ref(SessionNotFoundErrorBody)]) }),
        },
      },
    },
    async (request) => {
      const { sessionID, messageID } = request.params
      storedSession(store, sessionID)
      const message = store.getMessage(sessionID, messageID)
      const data = message ? messagesView(store, sessionID, [message])(message) : entries.get(sessionID, messageID)
      if (!data) throw new MessageNotFoundV2(sessionID, messageID)
      return { data }
    },
  )

  app.get(
    '/api/session/:sessionID/context',
    {
      config,
      schema: {
        operationId: 'session.context',
        tags,
        summary: "Messages in the model's context",
        description:
          'Every message since the last finished summary, oldest first, unpaged (what the next model call is built from).',
        params: SessionParams,
        response: { 200: DataEnvelope(Type.Array(ref(Session21Message))), ...notFound },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      storedSession(store, sessionID)
      const messages = store.allMessages(sessionID, store.lastSummaryRequest(sessionID))
      const view = messagesView(store, sessionID, messages)
      return { data: messages.flatMap((message) => view(message) ?? []) }
    },
  )
}
