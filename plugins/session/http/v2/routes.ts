import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type Static } from 'typebox'
import {
  DataEnvelope,
  InvalidRequestError,
  LocationRef,
  StringEnum,
  checkDirectory,
  cursorErrors,
  decodeCursor,
  encodeCursor,
  ref,
  v2Errors,
  type Instance,
  type Kernel,
} from '../../../../sdk/index.js'
import { MessageNotFoundV2, SessionNotFoundV2 } from '../../errors.js'
import type { PromptAdmission } from '../../loop/admission.js'
import type { MessageWithParts, SessionInfo } from '../../schemas.js'
import type { SessionService } from '../../store/service.js'
import type { SessionStore } from '../../store/store.js'
import {
  Cursors,
  MessageNotFoundErrorBody,
  SessionMessage,
  SessionNotFoundErrorBody,
  SessionV2Info,
} from './schemas.js'
import { messageV2View, sessionV2View } from './views.js'

const tags = ['session']
const config = { v2: true, instance: false }
const SessionID = Type.String({ pattern: '^ses', maxLength: 100 })
const MessageID = Type.String({ pattern: '^msg_', maxLength: 100 })
const SessionParams = Type.Object({ sessionID: SessionID })
const notFound = v2Errors({ 404: ref(SessionNotFoundErrorBody) })

/** The stored session, in whichever project; the tagged v2 404 when there is none. */
export function storedSession(store: SessionStore, sessionID: string): SessionInfo {
  const info = store.getSession(sessionID)
  if (!info) throw new SessionNotFoundV2(sessionID)
  return info
}

/** The session and the instance its loop runs in (booted if need be); the tagged v2 404 when there is none. */
export async function sessionInstance(
  kernel: Kernel,
  store: SessionStore,
  sessionID: string,
): Promise<{ info: SessionInfo; instance: Instance }> {
  const info = storedSession(store, sessionID)
  return { info, instance: await kernel.instances.get(info.directory) }
}

interface PageCursor {
  /** The item the page continues from (exclusive). */
  id: string
  order: 'asc' | 'desc'
  direction: 'next' | 'previous'
}

const isPageCursor = (value: Record<string, unknown>): value is Record<string, unknown> & PageCursor =>
  typeof value.id === 'string' &&
  (value.order === 'asc' || value.order === 'desc') &&
  (value.direction === 'next' || value.direction === 'previous')

/** `{previous, next}` cursors of a page: at its first and last item; `{}` for an empty page. */
function pageCursors(
  ids: string[],
  order: 'asc' | 'desc',
  extra: Record<string, unknown> = {},
): Static<typeof Cursors> {
  if (ids.length === 0) return {}
  return {
    previous: encodeCursor({ ...extra, id: ids[0], order, direction: 'previous' }),
    next: encodeCursor({ ...extra, id: ids.at(-1), order, direction: 'next' }),
  }
}

/** Where a page walks: the anchor and whether ids grow, from the order and the cursor. */
function walk(order: 'asc' | 'desc', cursor: PageCursor | undefined, idsAscendWithTime: boolean) {
  // `next` continues in the page's order; `previous` walks back, and the page is turned round.
  const forward = cursor?.direction !== 'previous'
  const newer = (order === 'asc') === forward
  return { anchor: cursor?.id, up: newer === idsAscendWithTime, reverse: !forward }
}

/**
 * `/api/session…` reads: sessions and messages of the one session store, in v2 shapes. (The
 * prompt model, events and revert staging build on the admission queue and per-session log.)
 */
export function registerSessionV2Routes(
  app: FastifyInstance,
  kernel: Kernel,
  deps: { sessions: SessionService; admission: PromptAdmission },
): void {
  const { sessions, admission } = deps
  const store = sessions.store

  const find = (sessionID: string): SessionInfo => storedSession(store, sessionID)
  const worktreeOf = async (info: SessionInfo): Promise<string | undefined> =>
    kernel.instances.has(info.directory) ? (await kernel.instances.get(info.directory)).worktree : undefined
  const view = async (info: SessionInfo) => sessionV2View(info, await worktreeOf(info))

  // A summary's reason is on the user message that asked for it.
  const messagesView = (sessionID: string, messages: MessageWithParts[]) => {
    const byID = new Map(messages.map((message) => [message.info.id, message]))
    const reasonOf = (parentID: string) => {
      const parent = byID.get(parentID) ?? store.getMessage(sessionID, parentID)
      const part = parent?.parts.find((candidate) => candidate.type === 'compaction')
      return part?.type === 'compaction' && part.auto ? ('auto' as const) : ('manual' as const)
    }
    return messages.flatMap((message) => messageV2View(message, reasonOf) ?? [])
  }

  app.get(
    '/api/session',
    {
      config,
      schema: {
        operationId: 'v2.session.list',
        tags,
        summary: 'List sessions',
        description:
          "Sessions of every project (or the filters'), newest first by default (`order`), `limit` 1–200 (50). Send back `cursor` alone to move; a cursor keeps its filters.",
        querystring: Type.Object({
          directory: Type.Optional(Type.String({ maxLength: 4096 })),
          project: Type.Optional(Type.String({ maxLength: 200 })),
          workspace: Type.Optional(Type.String({ maxLength: 200 })),
          search: Type.Optional(Type.String({ maxLength: 1000 })),
          subpath: Type.Optional(Type.String({ maxLength: 4096 })),
          roots: Type.Optional(Type.Boolean()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
          order: Type.Optional(StringEnum(['asc', 'desc'])),
          cursor: Type.Optional(Type.String({ maxLength: 10_000 })),
        }),
        response: {
          200: Type.Object({ data: Type.Array(ref(SessionV2Info)), cursor: Cursors }, { additionalProperties: false }),
          ...v2Errors(cursorErrors()),
        },
      },
    },
    async (request) => {
      const query = request.query as {
        directory?: string
        project?: string
        search?: string
        roots?: boolean
        limit?: number
        order?: 'asc' | 'desc'
        cursor?: string
      }
      type Filters = { directory?: string; projectID?: string; search?: string; roots?: boolean }
      let filters: Filters
      let cursor: PageCursor | undefined
      let order: 'asc' | 'desc'
      if (query.cursor) {
        const decoded = decodeCursor<PageCursor & { filters?: Filters }>(
          query.cursor,
          (value): value is Record<string, unknown> & PageCursor & { filters?: Filters } => isPageCursor(value),
        )
        cursor = decoded
        order = decoded.order
        filters = typeof decoded.filters === 'object' && decoded.filters !== null ? decoded.filters : {}
      } else {
        order = query.order ?? 'desc'
        if (query.directory !== undefined && !query.directory.startsWith('/')) {
          throw new InvalidRequestError(`directory must be an absolute path, got "${query.directory}"`, {
            kind: 'Query',
            field: 'directory',
          })
        }
        filters = {
          ...(query.directory ? { directory: query.directory.replace(/\/+$/, '') || '/' } : {}),
          ...(query.project ? { projectID: query.project } : {}),
          ...(query.search ? { search: query.search } : {}),
          ...(query.roots ? { roots: true } : {}),
        }
      }
      const limit = query.limit ?? 50
      // Session ids descend with time: newest first walks toward higher ids.
      const { anchor, up, reverse } = walk(order, cursor, false)
      const found = store.sessionsFrom(filters, anchor, up, limit)
      if (reverse) found.reverse()
      const data = await Promise.all(found.map(view))
      return {
        data,
        cursor: pageCursors(
          data.map((session) => session.id),
          order,
          { filters },
        ),
      }
    },
  )

  app.post(
    '/api/session',
    {
      // The location hook gives the server's default when the body names none.
      config: { v2: true, location: true },
      schema: {
        operationId: 'v2.session.create',
        tags,
        summary: 'Create a session',
        description: 'At `location.directory` (else the server cwd). An existing `id` answers that session unchanged.',
        body: Type.Object({
          id: Type.Optional(Type.String({ pattern: '^ses_[0-9A-Za-z]+$', maxLength: 100 })),
          agent: Type.Optional(Type.String({ maxLength: 200 })),
          model: Type.Optional(
            Type.Object({
              id: Type.String({ maxLength: 500 }),
              providerID: Type.String({ maxLength: 200 }),
              variant: Type.Optional(Type.String({ maxLength: 200 })),
            }),
          ),
          location: Type.Optional(ref(LocationRef)),
        }),
        response: { 200: DataEnvelope(ref(SessionV2Info)), ...v2Errors() },
      },
    },
    async (request) => {
      const body = request.body as {
        id?: string
        agent?: string
        model?: { id: string; providerID: string; variant?: string }
        location?: { directory: string }
      }
      if (body.id) {
        const existing = store.getSession(body.id)
        if (existing) return { data: await view(existing) }
      }
      const instance = body.location ? await instanceAt(kernel, body.location.directory) : request.instance
      const model = body.model
        ? { id: body.model.id, providerID: body.model.providerID, variant: body.model.variant ?? 'default' }
        : undefined
      const info = sessions.create(instance, {
        ...(body.id ? { id: body.id } : {}),
        ...(body.agent ? { agent: body.agent } : {}),
        ...(model ? { model } : {}),
      })
      return { data: sessionV2View(info, instance.worktree) }
    },
  )

  app.get(
    '/api/session/active',
    {
      config,
      schema: {
        operationId: 'v2.session.active',
        tags,
        summary: 'Running sessions',
        description: 'Sessions whose loop runs now, across every project; absent means idle.',
        response: {
          200: Type.Object(
            {
              data: Type.Record(
                Type.String(),
                Type.Object({ type: Type.Literal('running') }, { additionalProperties: false }),
              ),
            },
            { additionalProperties: false },
          ),
          ...v2Errors(),
        },
      },
    },
    async () => {
      const data: Record<string, { type: 'running' }> = {}
      for (const instance of await kernel.instances.list()) {
        for (const sessionID of Object.keys(admission.statuses(instance))) data[sessionID] = { type: 'running' }
      }
      return { data }
    },
  )

  app.get(
    '/api/session/:sessionID',
    {
      config,
      schema: {
        operationId: 'v2.session.get',
        tags,
        summary: 'Get a session',
        params: SessionParams,
        response: { 200: DataEnvelope(ref(SessionV2Info)), ...notFound },
      },
    },
    async (request) => ({ data: await view(find(sessionIDOf(request))) }),
  )

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
      const sessionID = sessionIDOf(request)
      const query = request.query as { limit?: number; order?: 'asc' | 'desc'; cursor?: string }
      if (query.cursor && query.order)
        throw new InvalidRequestError('Cursor cannot be combined with order', { kind: 'Query', field: 'order' })
      find(sessionID)
      const cursor = query.cursor ? decodeCursor<PageCursor>(query.cursor, isPageCursor) : undefined
      const order = cursor?.order ?? query.order ?? 'desc'
      const { anchor, up, reverse } = walk(order, cursor, true)
      const found = store.messagesFrom(sessionID, anchor, up, query.limit ?? 50)
      if (reverse) found.reverse()
      return {
        data: messagesView(sessionID, found),
        cursor: pageCursors(
          found.map((message) => message.info.id),
          order,
        ),
      }
    },
  )

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
      const { sessionID, messageID } = request.params as { sessionID: string; messageID: string }
      find(sessionID)
      const message = store.getMessage(sessionID, messageID)
      const data = message ? messagesView(sessionID, [message])[0] : undefined
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
      const sessionID = sessionIDOf(request)
      find(sessionID)
      return { data: messagesView(sessionID, store.allMessages(sessionID, store.lastSummaryRequest(sessionID))) }
    },
  )
}

function sessionIDOf(request: FastifyRequest): string {
  return (request.params as { sessionID: string }).sessionID
}

async function instanceAt(kernel: Kernel, directory: string): Promise<Instance> {
  let checked: string
  try {
    checked = await checkDirectory(directory, 'Query')
  } catch (error) {
    throw new InvalidRequestError((error as Error).message, { kind: 'Payload', field: 'location' })
  }
  // Not wrapped: a cluster node learns here that another node runs the instance (the request is forwarded).
  return kernel.instances.get(checked)
}
