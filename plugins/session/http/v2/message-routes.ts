// v2 messages (`/api/session/:id/message…`, `…/context`): the stored messages as flat `SessionMessage`s.
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
import { isPageCursor, pageCursors, walk, type PageCursor } from './paging.js'
import {
  routeTags as tags,
  routeConfig as config,
  SessionParams,
  SessionID,
  sessionNotFound as notFound,
} from './route-defaults.js'
import type { SessionV2Deps } from './routes.js'
import { Cursors, MessageNotFoundErrorBody, SessionMessage, SessionNotFoundErrorBody } from './schemas.js'
import { messageV2View } from './views.js'

const MessageID = Type.String({ pattern: '^msg_', maxLength: 100 })

/** Messages as v2 shows them; a summary's reason is on the user message that asked for it. */
function messagesView(store: SessionStore, sessionID: string, messages: MessageWithParts[]) {
  const byID = new Map(messages.map((message) => [message.info.id, message]))
  const reasonOf = (parentID: string) => {
    const parent = byID.get(parentID) ?? store.getMessage(sessionID, parentID)
    const part = parent?.parts.find((candidate) => candidate.type === 'compaction')
    return part?.type === 'compaction' && part.auto ? ('auto' as const) : ('manual' as const)
  }
  return messages.flatMap((message) => messageV2View(message, reasonOf) ?? [])
}

/** `GET /api/session/:sessionID/message`: a page of messages. */
export function registerMessageListRoute(app: PluginApp, { sessions }: SessionV2Deps): void {
  const store = sessions.store
  app.get(
    '/api/session/:sessionID/message',
    {
      config,
      schema: {
        operationId: 'v2.session.messages',
        tags,
        summary: 'List messages',
        description:
          'The same messages as `GET /session/:id/message`, flat (`SessionMessage`), newest first by default; `limit` 1–200 (50); send back `cursor` alone to move.',
        params: SessionParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
          order: Type.Optional(StringEnum(['asc', 'desc'])),
          cursor: Type.Optional(Type.String({ maxLength: 1000 })),
        }),
        response: {
          200: Type.Object({ data: Type.Array(ref(SessionMessage)), cursor: Cursors }, { additionalProperties: false }),
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
      const { anchor, up, reverse } = walk(order, cursor, true)
      const found = store.messagesFrom(sessionID, anchor, up, query.limit ?? 50)
      if (reverse) found.reverse()
      return {
        data: messagesView(store, sessionID, found),
        cursor: pageCursors(
          found.map((message) => message.info.id),
          order,
        ),
      }
    },
  )
}

/** `GET /api/session/:sessionID/message/:messageID` and `…/context`. */
export function registerMessageReadRoutes(app: PluginApp, { sessions }: SessionV2Deps): void {
  const store = sessions.store
  app.get(
    '/api/session/:sessionID/message/:messageID',
    {
      config,
      schema: {
        operationId: 'v2.session.message',
        tags,
        summary: 'Get a message',
        params: Type.Object({ sessionID: SessionID, messageID: MessageID }),
        response: {
          200: DataEnvelope(ref(SessionMessage)),
          ...v2Errors({ 404: Type.Union([ref(MessageNotFoundErrorBody), ref(SessionNotFoundErrorBody)]) }),
        },
      },
    },
    async (request) => {
      const { sessionID, messageID } = request.params
      storedSession(store, sessionID)
      const message = store.getMessage(sessionID, messageID)
      const data = message ? messagesView(store, sessionID, [message])[0] : undefined
      if (!data) throw new MessageNotFoundV2(sessionID, messageID)
      return { data }
    },
  )

  app.get(
    '/api/session/:sessionID/context',
    {
      config,
      schema: {
        operationId: 'v2.session.context',
        tags,
        summary: "Messages in the model's context",
        description:
          'Every message since the last finished summary, oldest first, unpaged (what the next model call is built from).',
        params: SessionParams,
        response: { 200: DataEnvelope(Type.Array(ref(SessionMessage))), ...notFound },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      storedSession(store, sessionID)
      return {
        data: messagesView(store, sessionID, store.allMessages(sessionID, store.lastSummaryRequest(sessionID))),
      }
    },
  )
}
