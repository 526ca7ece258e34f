import { Type } from 'typebox'
import { DataEnvelope, ForbiddenErrorBody, ref, v2Errors, type PluginApp } from '../../../sdk/index.js'
import { PtyNotFoundErrorBody } from '../schemas.js'
import type { Tickets } from '../socket.js'
import { ConnectToken } from '../schemas.js'
import {
  PersistentConnectQuery,
  PersistentPtyCreateInput,
  PersistentPtyHandoff,
  PersistentPtyInfo,
  PersistentPtyParams,
  PersistentPtyReadResult,
  PersistentPtySnapshot,
  PersistentPtyUpdateInput,
  ReadQuery,
  SessionNotFoundBody,
  SessionParams,
} from './schemas.js'
import type { PersistentPtyService } from './service.js'
import { PERSISTENT_CONNECT_DESCRIPTION, persistentConnectToken, persistentSocket } from './socket.js'

// OpenCode 2.1's persistent terminals: `/api/experimental/session/:sessionID/terminal…` and
// `/api/experimental/persistent-pty…`. Not tied to a location: `{data}` envelopes, no instance.

const tags = ['persistentPty']
const config = { v2: true, instance: false }
const sessionNotFound = v2Errors({ 404: SessionNotFoundBody })
const ptyNotFound = v2Errors({ 404: ref(PtyNotFoundErrorBody) })

export function registerPersistentPtyRoutes(app: PluginApp, service: PersistentPtyService, tickets: Tickets): void {
  registerSessionTerminalRoutes(app, service)
  registerServerRoutes(app, service)
  registerTerminalRoutes(app, service)
  registerConnectRoutes(app, service, tickets)
}

/** A session's terminals: listing, starting one, reading the current one. */
function registerSessionTerminalRoutes(app: PluginApp, service: PersistentPtyService): void {
  app.get(
    '/api/experimental/session/:sessionID/terminal/read',
    {
      config,
      schema: {
        operationId: 'server.experimental.persistentPty.read',
        tags,
        summary: "Read the session's most recently controlled terminal",
        description:
          "The last `lines` physical rows (default: the terminal's height; more include the scrollback, up to 1,000 lines), blank rows kept, each row's trailing blanks trimmed; `cols`, `rows` and `cursor` are the live screen's. Null when no client has controlled one of the session's terminals yet, or that terminal ended.",
        params: SessionParams,
        querystring: ReadQuery,
        response: { 200: DataEnvelope(Type.Union([PersistentPtyReadResult, Type.Null()])), ...sessionNotFound },
      },
    },
    async (request) => ({ data: await service.read(request.params.sessionID, request.query.lines) }),
  )

  app.get(
    '/api/experimental/session/:sessionID/terminal',
    {
      config,
      schema: {
        operationId: 'server.experimental.persistentPty.list',
        tags,
        summary: "The session's terminals",
        params: SessionParams,
        response: { 200: DataEnvelope(Type.Array(ref(PersistentPtyInfo))), ...sessionNotFound },
      },
    },
    async (request) => ({ data: service.list(request.params.sessionID) }),
  )

  app.post(
    '/api/experimental/session/:sessionID/terminal',
    {
      config,
      schema: {
        operationId: 'server.experimental.persistentPty.create',
        tags,
        summary: 'Start a terminal for the session',
        description:
          "`command` (default: the preferred shell, no `-l` added) with `args`, in `cwd` (default: the session's directory; it must lie inside the project), `size` (default 80×24, at most 500×200). The environment is the server's plus `env`, `TERM=xterm-256color`, `OPENCODE_TERMINAL=1`. At most 8 per session and 32 in all. `persistent-pty.added`.",
        params: SessionParams,
        body: PersistentPtyCreateInput,
        response: { 200: DataEnvelope(ref(PersistentPtyInfo)), ...sessionNotFound },
      },
    },
    async (request) => ({ data: await service.create(request.params.sessionID, request.body) }),
  )
}

/** Every persistent terminal at once. */
function registerServerRoutes(app: PluginApp, service: PersistentPtyService): void {
  app.post(
    '/api/experimental/persistent-pty/shutdown',
    {
      config,
      schema: {
        operationId: 'server.experimental.persistentPty.shutdown',
        tags,
        summary: 'End every persistent terminal',
        description: '`persistent-pty.removed` for each.',
        response: { 204: Type.Null(), ...v2Errors() },
      },
    },
    async (_request, reply) => {
      service.shutdown()
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/api/experimental/persistent-pty/handoff',
    {
      config,
      schema: {
        operationId: 'server.experimental.persistentPty.handoff',
        tags,
        summary: 'Hand the terminals over to a successor server',
        description:
          "Always `{handoff: null}`: this server's terminals live in its own process and end with it, so there is nothing a successor could take over (OpenCode 2.1 runs them in a separate daemon).",
        response: { 200: PersistentPtyHandoff, ...v2Errors() },
      },
    },
    async () => ({ handoff: null }),
  )
}

/** One terminal: reading, resizing, its snapshot, ending it. */
function registerTerminalRoutes(app: PluginApp, service: PersistentPtyService): void {
  app.get(
    '/api/experimental/persistent-pty/:ptyID',
    {
      config,
      schema: {
        operationId: 'server.experimental.persistentPty.get',
        tags,
        summary: 'A persistent terminal',
        params: PersistentPtyParams,
        response: { 200: DataEnvelope(ref(PersistentPtyInfo)), ...ptyNotFound },
      },
    },
    async (request) => ({ data: service.get(request.params.ptyID).info() }),
  )

  app.put(
    '/api/experimental/persistent-pty/:ptyID',
    {
      config,
      schema: {
        operationId: 'server.experimental.persistentPty.update',
        tags,
        summary: 'Resize a persistent terminal',
        description:
          'While a client controls the terminal, only with that client as `attachmentID` (else 400); a named `attachmentID` must be the controller. Attached clients get `resized` with the redrawn screen.',
        params: PersistentPtyParams,
        body: PersistentPtyUpdateInput,
        response: { 200: DataEnvelope(ref(PersistentPtyInfo)), ...ptyNotFound },
      },
    },
    async (request) => ({
      data: await service.resize(request.params.ptyID, request.body.size, request.body.attachmentID),
    }),
  )

  app.delete(
    '/api/experimental/persistent-pty/:ptyID',
    {
      config,
      schema: {
        operationId: 'server.experimental.persistentPty.remove',
        tags,
        summary: 'End a persistent terminal',
        description: 'Kills its process; attached clients get `exited`; `persistent-pty.removed`.',
        params: PersistentPtyParams,
        response: { 204: Type.Null(), ...ptyNotFound },
      },
    },
    async (request, reply) => {
      service.remove(request.params.ptyID)
      return reply.status(204).send(null)
    },
  )

  app.get(
    '/api/experimental/persistent-pty/:ptyID/snapshot',
    {
      config,
      schema: {
        operationId: 'server.experimental.persistentPty.snapshot',
        tags,
        summary: "A persistent terminal's screen",
        description:
          '`text`: scrollback and screen as text; `checkpoint`: escape sequences (base64) that redraw them in an empty terminal of `info.size`; `cursor` on the screen. A client draws the checkpoint, then attaches from `info.output.tail`.',
        params: PersistentPtyParams,
        response: { 200: DataEnvelope(PersistentPtySnapshot), ...ptyNotFound },
      },
    },
    async (request) => ({ data: await service.get(request.params.ptyID).snapshot() }),
  )
}

/** Attaching: a one-time ticket, then the WebSocket. */
function registerConnectRoutes(app: PluginApp, service: PersistentPtyService, tickets: Tickets): void {
  app.post(
    '/api/experimental/persistent-pty/:ptyID/connect-token',
    {
      config,
      schema: {
        operationId: 'server.experimental.persistentPty.connectToken',
        tags,
        summary: "A one-time ticket for the terminal's WebSocket",
        description: 'Needs header `x-opencode-ticket: 1` (else 403, checked first). Valid once, within 60 s.',
        params: PersistentPtyParams,
        response: { 200: DataEnvelope(ConnectToken), ...ptyNotFound, 403: ref(ForbiddenErrorBody) },
      },
    },
    async (request) => ({ data: persistentConnectToken(request, service, tickets) }),
  )

  const socket = persistentSocket(service, tickets)
  app.route({
    method: 'GET',
    url: '/api/experimental/persistent-pty/:ptyID/connect',
    config: { ...config, ...socket.config },
    schema: {
      operationId: 'persistentPty.connect',
      tags,
      summary: 'Attach to a persistent terminal over WebSocket',
      description: PERSISTENT_CONNECT_DESCRIPTION,
      querystring: PersistentConnectQuery,
      params: PersistentPtyParams,
      response: { 200: Type.Boolean(), ...ptyNotFound, 403: ref(ForbiddenErrorBody) },
    },
    preHandler: socket.preHandler,
    handler: socket.handler,
    wsHandler: socket.wsHandler,
  })
}
