import { Type } from 'typebox'
import {
  ConflictErrorBody,
  DataEnvelope,
  InvalidRequestError,
  LocationQuery,
  StringEnum,
  ref,
  v2Errors,
  type Instance,
  type PluginApp,
} from '../../sdk/index.js'
import type {} from '../agent/types.js' // app.agents
import { PermissionNotFoundError } from './errors.js'
import type { PermissionService } from './service.js'
import type { PermissionRequestInfo } from './store.js'
import { registerSavedPermissionRoutes } from './v2-saved-routes.js'
import { PermissionNotFoundErrorBody, PermissionV2Request, permissionV2View } from './v2-schemas.js'

const tags = ['permission']
const SessionID = Type.String({ pattern: '^ses', maxLength: 100 })
const RequestID = Type.String({ pattern: '^per', maxLength: 100 })
const sessionConfig = { v2: true, instance: false }

const SessionNotFound = Type.Object(
  { _tag: Type.Literal('SessionNotFoundError'), sessionID: Type.String(), message: Type.String() },
  { additionalProperties: false },
)
const requestNotFound = v2Errors({ 404: Type.Union([ref(PermissionNotFoundErrorBody), SessionNotFound]) })
const Reply = StringEnum(['once', 'always', 'reject'])

const CreateInput = Type.Object({
  id: Type.Optional(Type.Union([Type.String({ pattern: '^per_[0-9A-Za-z]+$', maxLength: 100 }), Type.Null()])),
  action: Type.String({ minLength: 1, maxLength: 200 }),
  resources: Type.Array(Type.String({ maxLength: 10_000 }), { maxItems: 1000 }),
  save: Type.Optional(Type.Array(Type.String({ maxLength: 10_000 }), { maxItems: 1000 })),
  metadata: Type.Optional(Type.Object({}, { additionalProperties: true })),
  // OpenCode 2.1 names the call `id`; 1.18 named it `callID`.
  source: Type.Optional(
    Type.Object({
      type: Type.Literal('tool'),
      messageID: Type.String({ maxLength: 100 }),
      id: Type.Optional(Type.String({ maxLength: 200 })),
      callID: Type.Optional(Type.String({ maxLength: 200 })),
    }),
  ),
  agent: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
})

/** `/api/permission…` and `/api/session/:id/permission…`: the same pending requests and approvals as v1. */
export function registerPermissionV2Routes(app: PluginApp, service: PermissionService): void {
  registerPendingRoute(app, service)
  registerSavedPermissionRoutes(app, service)
  registerAskRoute(app, service)
  registerSessionRequestRoutes(app, service)
}

/** A pending request of the session (whose instance is found by its id); PermissionNotFoundError otherwise. */
async function pendingRequest(
  app: PluginApp,
  service: PermissionService,
  sessionID: string,
  requestID: string,
): Promise<{ instance: Instance; found: PermissionRequestInfo }> {
  const instance = await app.sessions.locate(sessionID)
  const found = service.list(instance).find((entry) => entry.id === requestID && entry.sessionID === sessionID)
  if (!found) throw new PermissionNotFoundError(requestID)
  return { instance, found }
}

function registerPendingRoute(app: PluginApp, service: PermissionService): void {
  app.get(
    '/api/permission/request',
    {
      config: { v2: true, location: true },
      schema: {
        operationId: 'permission.request.list',
        tags,
        summary: 'List pending permission requests',
        description: 'Pending requests of every session at this location.',
        querystring: Type.Object(LocationQuery),
        response: {
          200: Type.Object(
            {
              // OpenCode 2.1's location envelope: the directory only.
              location: Type.Object({ directory: Type.String() }, { additionalProperties: false }),
              data: Type.Array(ref(PermissionV2Request)),
            },
            { additionalProperties: false },
          ),
          ...v2Errors(),
        },
      },
    },
    async (request) => ({
      location: { directory: request.instance.directory },
      data: service.list(request.instance).map(permissionV2View),
    }),
  )
}

function registerAskRoute(app: PluginApp, service: PermissionService): void {
  app.post(
    '/api/session/:sessionID/permission',
    {
      config: sessionConfig,
      schema: {
        operationId: 'session.permission.create',
        tags,
        summary: 'Create permission request',
        description:
          "Evaluates the agent's rules (body `agent`, else the session's, else `build`), the session's and the saved approvals; only `ask` leaves a pending request (`permission.asked`) that a reply answers.",
        params: Type.Object({ sessionID: SessionID }),
        body: CreateInput,
        response: {
          200: DataEnvelope(
            Type.Object(
              { id: Type.String(), effect: StringEnum(['allow', 'deny', 'ask']) },
              { additionalProperties: false },
            ),
          ),
          ...v2Errors({ 404: SessionNotFound, 409: ref(ConflictErrorBody) }),
        },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const instance = await app.sessions.locate(sessionID)
      const body = request.body
      const source = body.source
      if (source && source.id === undefined && source.callID === undefined)
        throw new InvalidRequestError('Missing key\n  at ["source"]["id"]', { kind: 'Payload', field: 'source' })
      const session = app.sessions.get(instance, sessionID)
      const agentName = body.agent ?? session.agent ?? 'build'
      const agent = await app.agents.get(instance, agentName)
      if (!agent) throw new InvalidRequestError(`Agent not found: ${agentName}`, { kind: 'Payload', field: 'agent' })
      const result = service.open(
        instance,
        {
          ...(body.id ? { id: body.id } : {}),
          sessionID,
          permission: body.action,
          patterns: body.resources,
          always: body.save ?? [],
          metadata: (body.metadata ?? {}) as Record<string, unknown>,
          ...(source ? { tool: { messageID: source.messageID, callID: source.id ?? source.callID! } } : {}),
        },
        [...agent.permission, ...(session.permission ?? [])],
      )
      return { data: result }
    },
  )
}

/** A session's pending requests: listed, read one by one, answered. */
function registerSessionRequestRoutes(app: PluginApp, service: PermissionService): void {
  app.get(
    '/api/session/:sessionID/permission',
    {
      config: sessionConfig,
      schema: {
        operationId: 'session.permission.list',
        tags,
        summary: 'List session permission requests',
        params: Type.Object({ sessionID: SessionID }),
        response: { 200: DataEnvelope(Type.Array(ref(PermissionV2Request))), ...v2Errors({ 404: SessionNotFound }) },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const instance = await app.sessions.locate(sessionID)
      return {
        data: service
          .list(instance)
          .filter((entry) => entry.sessionID === sessionID)
          .map(permissionV2View),
      }
    },
  )

  app.get(
    '/api/session/:sessionID/permission/:requestID',
    {
      config: sessionConfig,
      schema: {
        operationId: 'session.permission.get',
        tags,
        summary: 'Get session permission request',
        params: Type.Object({ sessionID: SessionID, requestID: RequestID }),
        response: { 200: DataEnvelope(ref(PermissionV2Request)), ...requestNotFound },
      },
    },
    async (request) => {
      const { sessionID, requestID } = request.params
      return { data: permissionV2View((await pendingRequest(app, service, sessionID, requestID)).found) }
    },
  )

  app.post(
    '/api/session/:sessionID/permission/:requestID/reply',
    {
      config: sessionConfig,
      schema: {
        operationId: 'session.permission.reply',
        tags,
        summary: 'Reply to permission request',
        description:
          "`decision` (1.18's `reply` is read too): `once`; `always` (saves the request's `save` patterns for the project and answers the session's other requests they now cover); `reject` (with a `message` the model sees it and the loop goes on; without, every pending request of the session is rejected and the turn stops). `permission.replied`.",
        params: Type.Object({ sessionID: SessionID, requestID: RequestID }),
        body: Type.Object({
          decision: Type.Optional(Reply),
          reply: Type.Optional(Reply),
          message: Type.Optional(Type.Union([Type.String({ maxLength: 100_000 }), Type.Null()])),
        }),
        response: { 204: Type.Null(), ...requestNotFound },
      },
    },
    async (request, reply) => {
      const { sessionID, requestID } = request.params
      const { decision = request.body.reply, message } = request.body
      if (decision === undefined)
        throw new InvalidRequestError('Missing key\n  at ["decision"]', { kind: 'Payload', field: 'decision' })
      const { instance, found } = await pendingRequest(app, service, sessionID, requestID)
      service.reply(instance, found.id, decision, message ?? undefined, found.sessionID)
      return reply.status(204).send(null)
    },
  )
}
