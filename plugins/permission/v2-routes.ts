import { Type, type Static } from 'typebox'
import {
  ConflictErrorBody,
  DataEnvelope,
  InvalidRequestError,
  LocationEnvelope,
  LocationQuery,
  StringEnum,
  locationEnvelope,
  named,
  ref,
  v2Errors,
  type Instance,
  type PluginApp,
} from '../../sdk/index.js'
import type {} from '../agent/types.js' // app.agents
import { PermissionNotFoundError } from './errors.js'
import type { PermissionService } from './service.js'
import type { Approval, PermissionRequestInfo } from './store.js'

const tags = ['permission']
const SessionID = Type.String({ pattern: '^ses', maxLength: 100 })
const RequestID = Type.String({ pattern: '^per', maxLength: 100 })
const sessionConfig = { v2: true, instance: false }

export const PermissionV2Request = named(
  'PermissionV2Request',
  Type.Object(
    {
      id: Type.String(),
      sessionID: Type.String(),
      action: Type.String(),
      resources: Type.Array(Type.String()),
      save: Type.Optional(Type.Array(Type.String())),
      metadata: Type.Optional(Type.Object({}, { additionalProperties: true })),
      source: Type.Optional(
        Type.Object(
          { type: Type.Literal('tool'), messageID: Type.String(), callID: Type.String() },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  ),
)

export const PermissionSavedInfo = named(
  'PermissionSavedInfo',
  Type.Object(
    { id: Type.String(), projectID: Type.String(), action: Type.String(), resource: Type.String() },
    { additionalProperties: false },
  ),
)

export const PermissionNotFoundErrorBody = named(
  'PermissionNotFoundError',
  Type.Object(
    { _tag: Type.Literal('PermissionNotFoundError'), requestID: Type.String(), message: Type.String() },
    { additionalProperties: false },
  ),
)
const SessionNotFound = Type.Object(
  { _tag: Type.Literal('SessionNotFoundError'), sessionID: Type.String(), message: Type.String() },
  { additionalProperties: false },
)
const requestNotFound = v2Errors({ 404: Type.Union([ref(PermissionNotFoundErrorBody), SessionNotFound]) })

const CreateInput = Type.Object({
  id: Type.Optional(Type.String({ pattern: '^per_[0-9A-Za-z]+$', maxLength: 100 })),
  action: Type.String({ minLength: 1, maxLength: 200 }),
  resources: Type.Array(Type.String({ maxLength: 10_000 }), { maxItems: 1000 }),
  save: Type.Optional(Type.Array(Type.String({ maxLength: 10_000 }), { maxItems: 1000 })),
  metadata: Type.Optional(Type.Object({}, { additionalProperties: true })),
  source: Type.Optional(
    Type.Object({
      type: Type.Literal('tool'),
      messageID: Type.String({ maxLength: 100 }),
      callID: Type.String({ maxLength: 200 }),
    }),
  ),
  agent: Type.Optional(Type.String({ maxLength: 200 })),
})

/** A pending request as v2 shows it (`permission` → `action`, `patterns` → `resources`, `always` → `save`). */
export function permissionV2View(request: PermissionRequestInfo): Static<typeof PermissionV2Request> {
  return {
    id: request.id,
    sessionID: request.sessionID,
    action: request.permission,
    resources: request.patterns,
    save: request.always,
    metadata: request.metadata,
    ...(request.tool ? { source: { type: 'tool' as const, ...request.tool } } : {}),
  }
}

// Saved approvals have no id of their own: the id encodes what it names, so delete needs no lookup.
const savedID = (approval: Approval) =>
  `psv_${Buffer.from(JSON.stringify([approval.project, approval.permission, approval.pattern])).toString('base64url')}`
function approvalOf(id: string): Approval | undefined {
  try {
    const [project, permission, pattern] = JSON.parse(
      Buffer.from(id.slice(4), 'base64url').toString('utf8'),
    ) as unknown[]
    if (typeof project === 'string' && typeof permission === 'string' && typeof pattern === 'string')
      return { project, permission, pattern }
  } catch {
    // Not an id savedID made: there is nothing to forget.
  }
  return undefined
}

/** `/api/permission…` and `/api/session/:id/permission…`: the same pending requests and approvals as v1. */
export function registerPermissionV2Routes(app: PluginApp, service: PermissionService): void {
  registerPendingRoute(app, service)
  registerSavedRoutes(app, service)
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
        operationId: 'v2.permission.request.list',
        tags,
        summary: 'Pending permission requests',
        querystring: Type.Object(LocationQuery),
        response: { 200: LocationEnvelope(Type.Array(ref(PermissionV2Request))), ...v2Errors() },
      },
    },
    async (request) => locationEnvelope(request, service.list(request.instance).map(permissionV2View)),
  )
}

/** What `always` replies saved: listed and forgotten by an id that encodes the approval. */
function registerSavedRoutes(app: PluginApp, service: PermissionService): void {
  app.get(
    '/api/permission/saved',
    {
      config: sessionConfig,
      schema: {
        operationId: 'v2.permission.saved.list',
        tags,
        summary: 'Saved approvals',
        description: 'What `always` replies allowed, per project (`projectID`: one project; absent: all).',
        querystring: Type.Object({ projectID: Type.Optional(Type.String({ maxLength: 4096 })) }),
        response: { 200: DataEnvelope(Type.Array(ref(PermissionSavedInfo))), ...v2Errors() },
      },
    },
    async (request) => {
      const { projectID } = request.query
      return {
        data: service.saved(projectID).map((approval) => ({
          id: savedID(approval),
          projectID: approval.project,
          action: approval.permission,
          resource: approval.pattern,
        })),
      }
    },
  )

  app.delete(
    '/api/permission/saved/:id',
    {
      config: sessionConfig,
      schema: {
        operationId: 'v2.permission.saved.remove',
        tags,
        summary: 'Forget a saved approval',
        description: '204 whether or not it existed, as OpenCode.',
        params: Type.Object({ id: Type.String({ pattern: '^psv_', maxLength: 20_000 }) }),
        response: { 204: Type.Null(), ...v2Errors() },
      },
    },
    async (request, reply) => {
      const approval = approvalOf(request.params.id)
      if (approval) service.unsave(approval)
      return reply.status(204).send(null)
    },
  )
}

function registerAskRoute(app: PluginApp, service: PermissionService): void {
  app.post(
    '/api/session/:sessionID/permission',
    {
      config: sessionConfig,
      schema: {
        operationId: 'v2.session.permission.create',
        tags,
        summary: 'Ask for a permission',
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
          ...(body.source ? { tool: { messageID: body.source.messageID, callID: body.source.callID } } : {}),
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
        operationId: 'v2.session.permission.list',
        tags,
        summary: 'Pending permission requests of a session',
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
        operationId: 'v2.session.permission.get',
        tags,
        summary: 'A pending permission request',
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
        operationId: 'v2.session.permission.reply',
        tags,
        summary: 'Answer a permission request',
        description:
          "`once`; `always` (saves the request's `save` patterns and answers the session's other requests they now cover); `reject` (with no `message`, every pending request of the session is rejected and the turn stops). `permission.replied`.",
        params: Type.Object({ sessionID: SessionID, requestID: RequestID }),
        body: Type.Object({
          reply: StringEnum(['once', 'always', 'reject']),
          message: Type.Optional(Type.String({ maxLength: 100_000 })),
        }),
        response: { 204: Type.Null(), ...requestNotFound },
      },
    },
    async (request, reply) => {
      const { sessionID, requestID } = request.params
      const { instance, found } = await pendingRequest(app, service, sessionID, requestID)
      const body = request.body
      service.reply(instance, found.id, body.reply, body.message, found.sessionID)
      return reply.status(204).send(null)
    },
  )
}
