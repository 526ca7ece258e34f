import { Type } from 'typebox'
import {
  ForbiddenErrorBody,
  LocationQuery,
  PublicLocationEnvelope as Located,
  optionalBody,
  publicLocationEnvelope as located,
  ref,
  v2Errors,
  type PluginApp,
} from '../../sdk/index.js'
import { ConnectToken, PtyCreateInput, PtyInfo, PtyNotFoundErrorBody, PtyParams, PtyUpdateInput } from './schemas.js'
import type { PtyService, PtyView } from './service.js'
import { CONNECT_DESCRIPTION, connectToken, terminalSocket, type Tickets } from './socket.js'

// `/api/pty…` under OpenCode 2.1's contract (and operation ids), which OpenCode 1.18's clients
// also read: the same terminals as `/pty`, in location envelopes, exited ones kept until removed.

const tags = ['pty']
const config = { v2: true, location: true }
const querystring = Type.Object(LocationQuery)
/** `/api/pty` sees exited terminals too. */
const view: PtyView = { exited: true }

const notFound = v2Errors({ 404: ref(PtyNotFoundErrorBody) })

/** `/api/pty…`: the same terminals as `/pty`, in location envelopes (connect tickets work on both). */
export function registerPtyV2Routes(app: PluginApp, service: PtyService, tickets: Tickets): void {
  registerPtyV2ListRoutes(app, service)
  registerPtyV2ItemRoutes(app, service)
  registerPtyV2ConnectRoutes(app, service, tickets)
}

/** The terminals, starting one. */
function registerPtyV2ListRoutes(app: PluginApp, service: PtyService): void {
  app.get(
    '/api/pty',
    {
      config,
      schema: {
        operationId: 'pty.list',
        tags,
        summary: 'List PTY sessions',
        description: 'The terminals of the location, exited ones included until they are removed (the last 25).',
        querystring,
        response: { 200: Located(Type.Array(ref(PtyInfo))), ...v2Errors() },
      },
    },
    async (request) => located(request, service.list(request.instance, view)),
  )

  app.post(
    '/api/pty',
    {
      config,
      schema: {
        operationId: 'pty.create',
        tags,
        summary: 'Create PTY session',
        description:
          'As `POST /pty`: `command` (default: the preferred shell; login shells get `-l`) in `cwd` (default: the location), which must lie inside the project; `pty.created`, and `pty.exited` when it ends.',
        querystring,
        body: optionalBody(PtyCreateInput),
        response: { 200: Located(ref(PtyInfo)), ...v2Errors() },
      },
    },
    async (request) => located(request, await service.create(request.instance, request.body ?? {})),
  )
}

/** One terminal: reading, renaming or resizing, ending it. */
function registerPtyV2ItemRoutes(app: PluginApp, service: PtyService): void {
  app.get(
    '/api/pty/:ptyID',
    {
      config,
      schema: {
        operationId: 'pty.get',
        tags,
        summary: 'Get PTY session',
        description: 'Also once exited (`status: "exited"`, `exitCode`), until removed.',
        querystring,
        params: PtyParams,
        response: { 200: Located(ref(PtyInfo)), ...notFound },
      },
    },
    async (request) => located(request, service.get(request.instance, request.params.ptyID, view).info),
  )

  app.put(
    '/api/pty/:ptyID',
    {
      config,
      schema: {
        operationId: 'pty.update',
        tags,
        summary: 'Update PTY session',
        description: 'Renames and resizes (an exited terminal is only renamed); `pty.updated`.',
        querystring,
        params: PtyParams,
        body: PtyUpdateInput,
        response: { 200: Located(ref(PtyInfo)), ...notFound },
      },
    },
    async (request) => located(request, service.update(request.instance, request.params.ptyID, request.body, view)),
  )

  app.delete(
    '/api/pty/:ptyID',
    {
      config,
      schema: {
        operationId: 'pty.remove',
        tags,
        summary: 'Remove PTY session',
        description: 'Kills it if it still runs and forgets it; `pty.deleted`.',
        querystring,
        params: PtyParams,
        response: { 204: Type.Null(), ...notFound },
      },
    },
    async (request, reply) => {
      service.remove(request.instance, request.params.ptyID, view)
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
        operationId: 'pty.connect.token',
        tags,
        summary: 'Create PTY WebSocket token',
        description:
          'Needs header `x-opencode-ticket: 1` (else 403, checked first). Valid once, within 60 s, on either connect route.',
        querystring,
        params: PtyParams,
        response: { 200: Located(ConnectToken), ...notFound, 403: ref(ForbiddenErrorBody) },
      },
    },
    async (request) => located(request, connectToken(request, service, tickets, view)),
  )

  const socket = terminalSocket(service, tickets, view)
  app.route({
    method: 'GET',
    url: '/api/pty/:ptyID/connect',
    config: { ...config, ...socket.config },
    schema: {
      operationId: 'pty.connect',
      tags,
      summary: 'Connect to PTY session',
      description: `${CONNECT_DESCRIPTION} An exited terminal closes at once with 4404 \`session exited\`. A \`ticket\` that does not redeem is a 403.`,
      querystring: Type.Object({
        ...LocationQuery,
        cursor: Type.Optional(Type.String({ maxLength: 32 })),
        ticket: Type.Optional(Type.String({ maxLength: 200 })),
      }),
      params: PtyParams,
      response: { 200: Type.Boolean(), ...notFound, 403: ref(ForbiddenErrorBody) },
    },
    preHandler: socket.preHandler,
    handler: socket.handler,
    wsHandler: socket.wsHandler,
  })
}
