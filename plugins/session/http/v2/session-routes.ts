// Sessions on OpenCode 2.1's contract (`/api/session…`): list, create, the running ones, one
// session, as 2.1's \`Session.Info\`; 1.18's requests (\`roots\`, \`workspace\`) still accepted.
import type { SessionKernel } from '../../index.js'
import { Type, type Static, type TSchema } from 'typebox'
import {
  DataEnvelope,
  InvalidRequestError,
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
import type { SessionEntries } from '../../store/entries.js'
import { storedSession } from '../../store/locate.js'
import type { SessionConditions } from '../../store/store.js'
import { ModelRef21, NullableCursors, PermissionRule21, Session21Info } from '../v21/schemas.js'
import { nullableCursors } from '../v21/paging.js'
import { ruleOf, sessionInfo21 } from '../v21/views.js'
import { viewedTimes } from '../v21/view-routes.js'
import { isPageCursor, walk, type PageCursor } from './paging.js'
import type { SessionV2Deps } from './routes.js'
import {
  routeTags as tags,
  routeConfig as config,
  SessionParams,
  sessionNotFound as notFound,
} from './route-defaults.js'
import { SessionNotFoundErrorBody } from './schemas.js'

const MAX_PAGE = 1000
const Nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]))

const SessionListQuery = Type.Object({
  directory: Type.Optional(Type.String({ maxLength: 4096 })),
  project: Type.Optional(Type.String({ maxLength: 200 })),
  workspace: Type.Optional(Type.String({ maxLength: 200 })),
  search: Type.Optional(Type.String({ maxLength: 1000 })),
  subpath: Type.Optional(Type.String({ maxLength: 4096 })),
  parentID: Type.Optional(Type.String({ pattern: '^(ses.*|null)$', maxLength: 100 })),
  archived: Type.Optional(StringEnum(['true', 'false'])),
  roots: Type.Optional(Type.Boolean()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  order: Type.Optional(StringEnum(['asc', 'desc'])),
  cursor: Type.Optional(Type.String({ maxLength: 10_000 })),
})

type ListCursor = PageCursor & { filters?: SessionConditions }

/** A stored session as 2.1 shows it, with its subpath when its instance is open and its last run's outcome. */
export function sessionView(kernel: SessionKernel, entries: SessionEntries) {
  const worktreeOf = async (info: SessionInfo): Promise<string | undefined> =>
    kernel.instances.has(info.directory) ? (await kernel.instances.get(info.directory)).worktree : undefined
  const viewed = viewedTimes(kernel)
  return async (info: SessionInfo) =>
    sessionInfo21(info, await worktreeOf(info), entries.lastIdle(info.id), viewed.get(info.id))
}

/** The filters, cursor and order of a list request: a cursor carries the filters of its first page. */
function listRequest(query: Static<typeof SessionListQuery>): {
  filters: SessionConditions
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
  const { parentID } = query
  const filters: SessionConditions = {
    ...(query.directory ? { directory: query.directory.replace(/\/+$/, '') || '/' } : {}),
    ...(query.project ? { projectID: query.project } : {}),
    ...(query.search ? { search: query.search } : {}),
    ...(query.roots || parentID === 'null' ? { roots: true } : {}),
    ...(parentID && parentID !== 'null' ? { parentID } : {}),
    ...(query.archived ? { archived: query.archived === 'true' } : {}),
  }
  return { filters, order: query.order ?? 'desc' }
}

/** The instance at a directory a body names (`location.directory`): an absolute, existing directory. */
export async function instanceAt(kernel: SessionKernel, directory: string): Promise<Instance> {
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
export function registerSessionListRoute(app: PluginApp, { kernel, sessions, entries }: SessionV2Deps): void {
  const view = sessionView(kernel, entries)
  app.get(
    '/api/session',
    {
      config,
      schema: {
        // 2.1's `session.list` is v1's `GET /session` here: the ids of one document must be unique.
        operationId: 'session.list',
        tags,
        summary: 'List sessions',
        description: `Sessions of every project (or the filters'), newest first by default (\`order\`); \`limit\` (50) is capped at ${MAX_PAGE}. \`parentID=null\` lists root sessions. Send back \`cursor\` alone to move; a cursor keeps its filters.`,
        querystring: SessionListQuery,
        response: {
          200: Type.Object(
            { data: Type.Array(ref(Session21Info)), cursor: NullableCursors },
            { additionalProperties: false },
          ),
          ...v2Errors(cursorErrors()),
        },
      },
    },
    async (request) => {
      const { filters, cursor, order } = listRequest(request.query)
      const limit = Math.min(request.query.limit ?? 50, MAX_PAGE)
      // Session ids descend with time: newest first walks toward higher ids.
      const { anchor, up, reverse } = walk(order, cursor, false)
      const found = sessions.store.sessionsFrom(filters, anchor, up, limit)
      if (reverse) found.reverse()
      const data = await Promise.all(found.map(view))
      return {
        data,
        cursor: nullableCursors(
          found.map((session) => session.id),
          order,
          { filters },
        ),
      }
    },
  )
}

const CreateBody = Type.Object(
  {
    id: Nullable(Type.String({ pattern: '^ses_[0-9A-Za-z]+$', maxLength: 100 })),
    parentID: Nullable(Type.String({ pattern: '^ses', maxLength: 100 })),
    title: Nullable(Type.String({ maxLength: 1000 })),
    agent: Nullable(Type.String({ maxLength: 200 })),
    model: Nullable(ModelRef21),
    location: Nullable(Type.Object({ directory: Type.String({ minLength: 1, maxLength: 4096 }) })),
    metadata: Nullable(Type.Record(Type.String(), Type.Unknown())),
    permissions: Nullable(Type.Array(PermissionRule21, { maxItems: 1000 })),
  },
  { additionalProperties: false },
)

/** `POST /api/session`. */
export function registerSessionCreateRoute(app: PluginApp, { kernel, sessions, entries }: SessionV2Deps): void {
  const view = sessionView(kernel, entries)
  app.post(
    '/api/session',
    {
      // The location hook gives the server's default when the body names none.
      config: { v2: true, location: true },
      // Both 1.18 and 2.1 require a body (`{}` for the defaults); without one the schema is not applied.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null)
          throw new InvalidRequestError('Expected object', { kind: 'Payload' })
      },
      schema: {
        operationId: 'session.create',
        tags,
        summary: 'Create a session',
        description:
          "At `location.directory` (an absolute, existing directory; else the server cwd), or a child at its parent's. An existing `id` answers that session unchanged.",
        body: CreateBody,
        response: { 200: DataEnvelope(ref(Session21Info)), ...v2Errors({ 404: ref(SessionNotFoundErrorBody) }) },
      },
    },
    async (request) => {
      const body = request.body
      if (body.id) {
        const existing = sessions.store.getSession(body.id)
        if (existing) return { data: await view(existing) }
      }
      const parent = body.parentID ? storedSession(sessions.store, body.parentID) : undefined
      const instance = parent
        ? await kernel.instances.get(parent.directory)
        : body.location
          ? await instanceAt(kernel, body.location.directory)
          : request.instance
      const model = body.model ? { ...body.model, variant: body.model.variant ?? 'default' } : undefined
      const info = sessions.create(instance, {
        ...(body.id ? { id: body.id } : {}),
        ...(parent ? { parentID: parent.id } : {}),
        ...(body.title ? { title: body.title } : {}),
        ...(body.agent ? { agent: body.agent } : {}),
        ...(model ? { model } : {}),
        ...(body.metadata ? { metadata: body.metadata } : {}),
        ...(body.permissions ? { permission: body.permissions.map(ruleOf) } : {}),
      })
      return { data: sessionInfo21(info, instance.worktree) }
    },
  )
}

/** `GET /api/session/active` and `GET /api/session/:sessionID`. */
export function registerSessionReadRoutes(
  app: PluginApp,
  { kernel, sessions, admission, entries }: SessionV2Deps,
): void {
  const view = sessionView(kernel, entries)
  app.get(
    '/api/session/active',
    {
      config,
      schema: {
        operationId: 'session.active',
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
        operationId: 'session.get',
        tags,
        summary: 'Get a session',
        params: SessionParams,
        response: { 200: DataEnvelope(ref(Session21Info)), ...notFound },
      },
    },
    async (request) => ({ data: await view(storedSession(sessions.store, request.params.sessionID)) }),
  )
}
