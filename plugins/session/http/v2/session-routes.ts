// v2 sessions (`/api/session…`): list, create, the running ones, one session.
import type { SessionKernel } from '../../index.js'
import { Type, type Static } from 'typebox'
import {
  DataEnvelope,
  InvalidRequestError,
  LocationRef,
  StringEnum,
  checkDirectory,
  cursorErrors,
  decodeCursor,
  ref,
  v2Errors,
  type Instance,
  type PluginApp,
} from '../../../../sdk/index.js'
import type { SessionInfo } from '../../schemas.js'
import { storedSession } from '../../store/locate.js'
import { isPageCursor, pageCursors, walk, type PageCursor } from './paging.js'
import type { SessionV2Deps } from './routes.js'
import {
  routeTags as tags,
  routeConfig as config,
  SessionParams,
  sessionNotFound as notFound,
} from './route-defaults.js'
import { Cursors, SessionV2Info } from './schemas.js'
import { sessionV2View } from './views.js'

const SessionListQuery = Type.Object({
  directory: Type.Optional(Type.String({ maxLength: 4096 })),
  project: Type.Optional(Type.String({ maxLength: 200 })),
  workspace: Type.Optional(Type.String({ maxLength: 200 })),
  search: Type.Optional(Type.String({ maxLength: 1000 })),
  subpath: Type.Optional(Type.String({ maxLength: 4096 })),
  roots: Type.Optional(Type.Boolean()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  order: Type.Optional(StringEnum(['asc', 'desc'])),
  cursor: Type.Optional(Type.String({ maxLength: 10_000 })),
})

type SessionFilters = { directory?: string; projectID?: string; search?: string; roots?: boolean }
type ListCursor = PageCursor & { filters?: SessionFilters }

/** A stored session as v2 shows it, with its subpath when its instance is open. */
function sessionView(kernel: SessionKernel): (info: SessionInfo) => Promise<Static<typeof SessionV2Info>> {
  const worktreeOf = async (info: SessionInfo): Promise<string | undefined> =>
    kernel.instances.has(info.directory) ? (await kernel.instances.get(info.directory)).worktree : undefined
  return async (info) => sessionV2View(info, await worktreeOf(info))
}

/** The filters, cursor and order of a list request: a cursor carries the filters of its first page. */
function listRequest(query: Static<typeof SessionListQuery>): {
  filters: SessionFilters
  cursor?: PageCursor
  order: 'asc' | 'desc'
} {
  if (query.cursor) {
    const decoded = decodeCursor<ListCursor>(query.cursor, (value): value is Record<string, unknown> & ListCursor =>
      isPageCursor(value),
    )
    const filters = typeof decoded.filters === 'object' && decoded.filters !== null ? decoded.filters : {}
    return { filters, cursor: decoded, order: decoded.order }
  }
  if (query.directory !== undefined && !query.directory.startsWith('/')) {
    throw new InvalidRequestError(`directory must be an absolute path, got "${query.directory}"`, {
      kind: 'Query',
      field: 'directory',
    })
  }
  const filters = {
    ...(query.directory ? { directory: query.directory.replace(/\/+$/, '') || '/' } : {}),
    ...(query.project ? { projectID: query.project } : {}),
    ...(query.search ? { search: query.search } : {}),
    ...(query.roots ? { roots: true } : {}),
  }
  return { filters, order: query.order ?? 'desc' }
}

/** The instance at a directory a v2 body names (`location.directory`). */
async function instanceAt(kernel: SessionKernel, directory: string): Promise<Instance> {
  let checked: string
  try {
    checked = await checkDirectory(directory, 'Query')
  } catch (error) {
    throw new InvalidRequestError((error as Error).message, { kind: 'Payload', field: 'location' })
  }
  // Not wrapped: a cluster node learns here that another node runs the instance (the request is forwarded).
  return kernel.instances.get(checked)
}

/** `GET /api/session`. */
export function registerSessionListRoute(app: PluginApp, { kernel, sessions }: SessionV2Deps): void {
  const view = sessionView(kernel)
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
        querystring: SessionListQuery,
        response: {
          200: Type.Object({ data: Type.Array(ref(SessionV2Info)), cursor: Cursors }, { additionalProperties: false }),
          ...v2Errors(cursorErrors()),
        },
      },
    },
    async (request) => {
      const { filters, cursor, order } = listRequest(request.query)
      const limit = request.query.limit ?? 50
      // Session ids descend with time: newest first walks toward higher ids.
      const { anchor, up, reverse } = walk(order, cursor, false)
      const found = sessions.store.sessionsFrom(filters, anchor, up, limit)
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
}

/** `POST /api/session`. */
export function registerSessionCreateRoute(app: PluginApp, { kernel, sessions }: SessionV2Deps): void {
  const view = sessionView(kernel)
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
      const body = request.body
      if (body.id) {
        const existing = sessions.store.getSession(body.id)
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
}

/** `GET /api/session/active` and `GET /api/session/:sessionID`. */
export function registerSessionReadRoutes(app: PluginApp, { kernel, sessions, admission }: SessionV2Deps): void {
  const view = sessionView(kernel)
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
    async (request) => ({ data: await view(storedSession(sessions.store, request.params.sessionID)) }),
  )
}
