// v1 sessions: list, status, create, read, update, delete, children.
import { Type } from 'typebox'
import { InstanceQuery, optionalBody, ref, type PluginApp } from '../../../../sdk/index.js'
import { SessionInfo, SessionStatus } from '../../schemas.js'
import { sendSerialised } from '../serialised-json.js'
import type { SessionRouteDeps } from './routes.js'
import { SessionCreateInput, SessionListQuery, SessionParams, SessionUpdateInput } from './schemas.js'

const tags = ['session']
const querystring = Type.Object(InstanceQuery)

/** `GET /session` and `GET /session/status`. */
export function registerSessionListRoutes(app: PluginApp, { sessions, admission }: SessionRouteDeps): void {
  app.get(
    '/session',
    {
      schema: {
        operationId: 'session.list',
        tags,
        summary: 'List sessions, most recently updated first',
        querystring: SessionListQuery,
        response: { 200: Type.Array(ref(SessionInfo)) },
      },
    },
    async (request, reply) => {
      const query = request.query
      // Stored JSON goes out as is: no parse and re-serialise per request.
      const body = sessions.store.listSessionsBody({
        projectID: request.instance.project.id,
        directory: query.scope === 'project' ? undefined : request.instance.directory,
        roots: query.roots,
        start: query.start,
        search: query.search,
        limit: query.limit ?? 100,
      })
      return sendSerialised(reply.type('application/json; charset=utf-8'), body)
    },
  )

  app.get(
    '/session/status',
    {
      schema: {
        operationId: 'session.status',
        tags,
        summary: 'Status of every non-idle session',
        querystring,
        response: { 200: Type.Record(Type.String(), ref(SessionStatus)) },
      },
    },
    async (request) => admission.statuses(request.instance),
  )
}

/** `POST /session` and `GET`, `PATCH`, `DELETE /session/:sessionID`. */
export function registerSessionCrudRoutes(app: PluginApp, { sessions, admission }: SessionRouteDeps): void {
  app.post(
    '/session',
    {
      schema: {
        operationId: 'session.create',
        tags,
        summary: 'Create a session',
        querystring,
        body: optionalBody(SessionCreateInput),
        response: { 200: ref(SessionInfo) },
      },
    },
    async (request) => sessions.create(request.instance, request.body ?? {}),
  )
  app.get(
    '/session/:sessionID',
    {
      schema: {
        operationId: 'session.get',
        tags,
        summary: 'Get a session',
        querystring,
        params: SessionParams,
        response: { 200: ref(SessionInfo) },
      },
    },
    async (request) => sessions.get(request.instance, request.params.sessionID),
  )

  app.patch(
    '/session/:sessionID',
    {
      schema: {
        operationId: 'session.update',
        tags,
        summary: 'Update a session',
        querystring,
        params: SessionParams,
        body: SessionUpdateInput,
        response: { 200: ref(SessionInfo) },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const body = request.body
      return sessions.update(request.instance, sessionID, (info) => {
        if (body.title !== undefined) info.title = body.title
        if (body.metadata !== undefined) info.metadata = body.metadata
        if (body.permission !== undefined) info.permission = body.permission
        if (body.time && 'archived' in body.time) {
          if (body.time.archived === null || body.time.archived === undefined) delete info.time.archived
          else info.time.archived = body.time.archived
        }
      })
    },
  )

  app.delete(
    '/session/:sessionID',
    {
      schema: {
        operationId: 'session.delete',
        tags,
        summary: 'Delete a session, its children, messages and parts',
        querystring,
        params: SessionParams,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      sessions.get(request.instance, sessionID)
      for (const id of sessions.store.descendants(sessionID)) await admission.stop(request.instance, id)
      sessions.remove(request.instance, sessionID)
      return true
    },
  )
}

/** `GET /session/:sessionID/children`. */
export function registerSessionChildrenRoute(app: PluginApp, { sessions }: SessionRouteDeps): void {
  app.get(
    '/session/:sessionID/children',
    {
      schema: {
        operationId: 'session.children',
        tags,
        summary: 'Child sessions',
        querystring,
        params: SessionParams,
        response: { 200: Type.Array(ref(SessionInfo)) },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      sessions.get(request.instance, sessionID)
      return sessions.store.children(sessionID)
    },
  )
}
