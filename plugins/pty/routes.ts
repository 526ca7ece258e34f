import { Type } from 'typebox'
import { InstanceQuery, optionalBody, ref, type PluginApp } from '../../sdk/index.js'
import { ConnectQuery, ConnectToken, PtyCreateInput, PtyInfo, PtyParams, PtyShell, PtyUpdateInput } from './schemas.js'
import type { PtyService } from './service.js'
import { CONNECT_DESCRIPTION, connectToken, terminalSocket, type Tickets } from './socket.js'

const tags = ['pty']
const querystring = Type.Object(InstanceQuery)

/** `/pty…`: the terminals, and a ticket and WebSocket to attach to one. */
export function registerPtyRoutes(app: PluginApp, service: PtyService, tickets: Tickets): void {
  registerPtyListRoutes(app, service)
  registerPtyItemRoutes(app, service)
  registerPtyConnectRoutes(app, service, tickets)
}

/** The shells, the running terminals, starting one. */
function registerPtyListRoutes(app: PluginApp, service: PtyService): void {
  app.get(
    '/pty/shells',
    {
      schema: {
        operationId: 'pty.shells',
        tags,
        summary: 'Shells a terminal can run',
        description: 'From /etc/shells, the preferred one ($SHELL, else bash) first.',
        querystring,
        response: { 200: Type.Array(ref(PtyShell)) },
      },
    },
    async (request) => service.shells(request.instance),
  )

  app.get(
    '/pty',
    {
      schema: {
        operationId: 'pty.list',
        tags,
        summary: 'Running terminals',
        querystring,
        response: { 200: Type.Array(ref(PtyInfo)) },
      },
    },
    async (request) => service.list(request.instance),
  )

  app.post(
    '/pty',
    {
      schema: {
        operationId: 'pty.create',
        tags,
        summary: 'Start a terminal',
        description:
          "`command` defaults to $SHELL (else bash); login shells get `-l`. `cwd` (default: the project directory) must lie inside the project. The environment is the server's plus `env`, `TERM=xterm-256color` and `OPENCODE_TERMINAL=1`. `pty.created`.",
        querystring,
        body: optionalBody(PtyCreateInput),
        response: { 200: ref(PtyInfo) },
      },
    },
    async (request) => service.create(request.instance, request.body ?? {}),
  )
}

/** One terminal: reading, renaming or resizing, ending it. */
function registerPtyItemRoutes(app: PluginApp, service: PtyService): void {
  app.get(
    '/pty/:ptyID',
    {
      schema: {
        operationId: 'pty.get',
        tags,
        summary: 'A running terminal',
        description: '404 when unknown or exited.',
        querystring,
        params: PtyParams,
        response: { 200: ref(PtyInfo) },
      },
    },
    async (request) => service.get(request.instance, request.params.ptyID).info,
  )

  app.put(
    '/pty/:ptyID',
    {
      schema: {
        operationId: 'pty.update',
        tags,
        summary: 'Rename or resize a terminal',
        description: '`pty.updated`.',
        querystring,
        params: PtyParams,
        body: PtyUpdateInput,
        response: { 200: ref(PtyInfo) },
      },
    },
    async (request) => service.update(request.instance, request.params.ptyID, request.body),
  )

  app.delete(
    '/pty/:ptyID',
    {
      schema: {
        operationId: 'pty.remove',
        tags,
        summary: 'End a terminal',
        description: 'Kills its process; `pty.deleted`.',
        querystring,
        params: PtyParams,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      service.remove(request.instance, request.params.ptyID)
      return true
    },
  )
}

/** Attaching to a terminal: a one-time ticket, then the WebSocket. */
function registerPtyConnectRoutes(app: PluginApp, service: PtyService, tickets: Tickets): void {
  app.post(
    '/pty/:ptyID/connect-token',
    {
      schema: {
        operationId: 'pty.connectToken',
        tags,
        summary: "A one-time ticket for the terminal's WebSocket",
        description:
          'Needs header `x-opencode-ticket: 1`. The ticket replaces the password on `GET /pty/:ptyID/connect?ticket=` once, within 60 s.',
        querystring,
        params: PtyParams,
        response: { 200: ConnectToken },
      },
    },
    async (request) => connectToken(request, service, tickets),
  )

  app.route({
    method: 'GET',
    url: '/pty/:ptyID/connect',
    schema: {
      operationId: 'pty.connect',
      tags,
      summary: 'Attach to a terminal over WebSocket',
      description: `${CONNECT_DESCRIPTION} So is an exited one.`,
      querystring: ConnectQuery,
      params: PtyParams,
      response: { 200: Type.Boolean() },
    },
    ...terminalSocket(service, tickets),
  })
}
