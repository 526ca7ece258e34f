import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import {
  ForbiddenErrorBody,
  LocationEnvelope,
  LocationQuery,
  locationEnvelope,
  named,
  optionalBody,
  ref,
  v2Errors,
} from '../../sdk/index.js'
import { ConnectToken, PtyCreateInput, PtyInfo, PtyParams, PtyUpdateInput } from './schemas.js'
import type { PtyService } from './service.js'
import { CONNECT_DESCRIPTION, connectToken, terminalSocket, type Tickets } from './socket.js'

const tags = ['pty']
const config = { v2: true, location: true }
const querystring = Type.Object(LocationQuery)

export const PtyNotFoundErrorBody = named(
  'PtyNotFoundError',
  Type.Object(
    { _tag: Type.Literal('PtyNotFoundError'), ptyID: Type.String(), message: Type.String() },
    { additionalProperties: false },
  ),
)
const notFound = v2Errors({ 404: ref(PtyNotFoundErrorBody) })

/** `/api/pty…`: the same terminals as `/pty`, in v2 envelopes (connect tickets work on both). */
export function registerPtyV2Routes(app: FastifyInstance, service: PtyService, tickets: Tickets): void {
  const ptyID = (request: { params: unknown }) => (request.params as Static<typeof PtyParams>).ptyID

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
    async (request) =>
      locationEnvelope(
        request,
        await service.create(request.instance, (request.body as Static<typeof PtyCreateInput> | undefined) ?? {}),
      ),
  )

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
    async (request) => locationEnvelope(request, service.get(request.instance, ptyID(request)).info),
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
    async (request) =>
      locationEnvelope(
        request,
        service.update(request.instance, ptyID(request), request.body as Static<typeof PtyUpdateInput>),
      ),
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
      service.remove(request.instance, ptyID(request))
      return reply.status(204).send()
    },
  )

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
