import { Type } from 'typebox'
import {
  ForbiddenErrorBody,
  LocationEnvelope,
  LocationQuery,
  locationEnvelope,
  optionalBody,
  ref,
  v2Errors,
  type PluginApp,
} from '../../sdk/index.js'
import { ConnectToken, PtyCreateInput, PtyInfo, PtyNotFoundErrorBody, PtyParams, PtyUpdateInput } from './schemas.js'
import type { PtyService } from './service.js'
import { CONNECT_DESCRIPTION, connectToken, terminalSocket, type Tickets } from './socket.js'

const tags = ['pty']
const config = { v2: true, location: true }
const querystring = Type.Object(LocationQuery)

const notFound = v2Errors({ 404: ref(PtyNotFoundErrorBody) })

/** `/api/pty…`: the same terminals as `/pty`, in v2 envelopes (connect tickets work on both). */
export function registerPtyV2Routes(app: PluginApp, service: PtyService, tickets: Tickets): void {
  registerPtyV2ListRoutes(app, service)
  registerPtyV2ItemRoutes(app, service)
  registerPtyV2ConnectRoutes(app, service, tickets)
}

/** The running terminals, starting one. */
function registerPtyV2ListRoutes(app: PluginApp, service: PtyService): void {
  app.get(
    '/api/pty',
    {
      config,
      schema: {
        operationId: 'v2.pty.list',
        tags,
        summary: 'List terminals',
        querystring,
        response: { 200: LocationEnvelope(Type.Array(ref(PtyInfo))), ...v2Errors() },
      },
    },
    async (request) => locationEnvelope(request, service.list(request.instance)),
  )

  app.post(
    '/api/pty',
    {
      config,
      schema: {
        operationId: 'v2.pty.create',
        tags,
        summary: 'Start a terminal',
        description: 'As `POST /pty`: the shell (else `command`) in `cwd` inside the project; `pty.created`.',
        querystring,
        body: optionalBody(PtyCreateInput),
        response: { 200: LocationEnvelope(ref(PtyInfo)), ...v2Errors() },
      },
    },
    async (request) => locationEnvelope(request, await service.create(request.instance, request.body ?? {})),
  )
}

/** One terminal: reading, renaming or resizing, ending it. */
function registerPtyV2ItemRoutes(app: PluginApp, service: PtyService): void {
  app.get(
    '/api/pty/:ptyID',
    {
      config,
      schema: {
        operationId: 'v2.pty.get',
        tags,
        summary: 'Get a terminal',
        querystring,
        params: PtyParams,
        response: { 200: LocationEnvelope(ref(PtyInfo)), ...notFound },
      },
    },
    async (request) => locationEnvelope(request, service.get(request.instance, request.params.ptyID).info),
  )

  app.put(
    '/api/pty/:ptyID',
    {
      config,
      schema: {
        operationId: 'v2.pty.update',
        tags,
        summary: 'Rename or resize a terminal',
        querystring,
        params: PtyParams,
        body: PtyUpdateInput,
        response: { 200: LocationEnvelope(ref(PtyInfo)), ...notFound },
      },
    },
    async (request) => locationEnvelope(request, service.update(request.instance, request.params.ptyID, request.body)),
  )

  app.delete(
    '/api/pty/:ptyID',
    {
      config,
      schema: {
        operationId: 'v2.pty.remove',
        tags,
        summary: 'End a terminal',
        querystring,
        params: PtyParams,
        response: { 204: Type.Null(), ...notFound },
      },
    },
    async (request, reply) => {
      service.remove(request.instance, request.params.ptyID)
      return reply.status(204).send(null)
    },
  )
}

/** Attaching to a terminal: a one-time ticket, then the WebSocket. */
function registerPtyV2ConnectRoutes(app: PluginApp, service: PtyService, tickets: Tickets): void {
  app.post(
    '/api/pty/:ptyID/connect-token',
    {
      config,
      schema: {
        operationId: 'v2.pty.connectToken',
        tags,
        summary: "A one-time ticket for the terminal's WebSocket",
        description:
          'Needs header `x-opencode-ticket: 1` (else 403, checked first). Valid once, within 60 s, on either connect route.',
        querystring,
        params: PtyParams,
        response: { 200: LocationEnvelope(ConnectToken), ...notFound, 403: ref(ForbiddenErrorBody) },
      },
    },
    async (request) => locationEnvelope(request, connectToken(request, service, tickets)),
  )

  const socket = terminalSocket(service, tickets)
  app.route({
    method: 'GET',
    url: '/api/pty/:ptyID/connect',
    config: { ...config, ...socket.config },
    schema: {
      operationId: 'v2.pty.connect',
      tags,
      summary: 'Attach to a terminal over WebSocket',
      description: CONNECT_DESCRIPTION,
      querystring: Type.Object({
        ...LocationQuery,
        cursor: Type.Optional(Type.String({ maxLength: 32 })),
        ticket: Type.Optional(Type.String({ maxLength: 200 })),
      }),
      params: PtyParams,
      response: { 200: Type.Boolean(), ...notFound },
    },
    preHandler: socket.preHandler,
    handler: socket.handler,
    wsHandler: socket.wsHandler,
  })
}
