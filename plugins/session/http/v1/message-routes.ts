// v1 messages and parts: read (whole or a page at a time), delete, replace a part.
import { Type } from 'typebox'
import { BadRequestError, InstanceQuery, ref, type PluginApp } from '../../../../sdk/index.js'
import { MessageWithParts, Part } from '../../schemas.js'
import { messagesJson } from '../../store/store.js'
import { sendSerialised } from '../serialised-json.js'
import type { SessionRouteDeps } from './routes.js'
import { MessageListQuery, MessageParams, PartParams, SessionParams } from './schemas.js'

const tags = ['session']
const querystring = Type.Object(InstanceQuery)

/** Message cursors are opaque to clients: base64url of `{id, time}`, as OpenCode sends them. */
function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ id, time: Date.now() })).toString('base64url')
}

function decodeCursor(cursor: string): string {
  if (/^msg_[0-9A-Za-z]+$/.test(cursor)) return cursor
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { id?: unknown }
    if (typeof value.id === 'string' && /^msg_[0-9A-Za-z]+$/.test(value.id)) return value.id
  } catch {
    // falls through to the error
  }
  throw new BadRequestError('Invalid cursor in "before"', 'Query')
}

/** `GET /session/:sessionID/message` (whole, or paged with a cursor) and one message. */
export function registerMessageReadRoutes(app: PluginApp, { sessions }: SessionRouteDeps): void {
  app.get(
    '/session/:sessionID/message',
    {
      schema: {
        operationId: 'session.messages',
        tags,
        summary: 'Messages of a session, oldest first; with `limit`, the latest page and a cursor to older ones',
        querystring: MessageListQuery,
        params: SessionParams,
        response: { 200: Type.Array(ref(MessageWithParts)) },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      const query = request.query
      sessions.get(request.instance, sessionID)
      reply.type('application/json; charset=utf-8')
      if (query.limit === undefined && query.before === undefined)
        return sendSerialised(reply, sessions.store.allMessagesBody(sessionID))
      const page = sessions.store.pageJson(
        sessionID,
        query.limit ?? 100,
        query.before ? decodeCursor(query.before) : undefined,
      )
      if (page.next) {
        const cursor = encodeCursor(page.next)
        const url = new URL(request.url, 'http://localhost')
        url.searchParams.set('before', cursor)
        reply.header('x-next-cursor', cursor)
        reply.header('link', `<${url.pathname}${url.search}>; rel="next"`)
      }
      return sendSerialised(reply, messagesJson(page.messages))
    },
  )

  app.get(
    '/session/:sessionID/message/:messageID',
    {
      schema: {
        operationId: 'session.message',
        tags,
        summary: 'One message with its parts',
        querystring,
        params: MessageParams,
        response: { 200: ref(MessageWithParts) },
      },
    },
    async (request) => {
      const { sessionID, messageID } = request.params
      return sessions.message(request.instance, sessionID, messageID)
    },
  )
}

/** Deleting a message or a part, and replacing a part. */
export function registerMessageEditRoutes(app: PluginApp, { sessions, admission }: SessionRouteDeps): void {
  app.delete(
    '/session/:sessionID/message/:messageID',
    {
      schema: {
        operationId: 'session.deleteMessage',
        tags,
        summary: 'Delete a message and its parts',
        querystring,
        params: MessageParams,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      const { sessionID, messageID } = request.params
      admission.assertIdle(request.instance, sessionID)
      sessions.removeMessage(request.instance, sessionID, messageID)
      return true
    },
  )

  app.delete(
    '/session/:sessionID/message/:messageID/part/:partID',
    {
      schema: {
        operationId: 'part.delete',
        tags,
        summary: 'Delete a part',
        querystring,
        params: PartParams,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      const { sessionID, messageID, partID } = request.params
      sessions.removePart(request.instance, sessionID, messageID, partID)
      return true
    },
  )

  app.patch(
    '/session/:sessionID/message/:messageID/part/:partID',
    {
      schema: {
        operationId: 'part.update',
        tags,
        summary: 'Replace a part',
        querystring,
        params: PartParams,
        body: ref(Part),
        response: { 200: ref(Part) },
      },
    },
    async (request) => {
      const { sessionID, messageID, partID } = request.params
      const part = request.body
      sessions.part(request.instance, sessionID, messageID, partID)
      if (part.id !== partID || part.messageID !== messageID || part.sessionID !== sessionID) {
        throw new BadRequestError("The part's id, messageID and sessionID must match the path", 'Body')
      }
      sessions.savePart(request.instance, part)
      return part
    },
  )
}
