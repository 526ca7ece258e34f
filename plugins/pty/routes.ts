import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type Static } from 'typebox'
import { BadRequestError, ForbiddenError } from '../../kernel/errors.js'
import { InstanceQuery, optionalBody, ref } from '../../kernel/schemas.js'
import { ConnectQuery, ConnectToken, PtyCreateInput, PtyInfo, PtyParams, PtyShell, PtyUpdateInput } from './schemas.js'
import { parseCursor, type PtyService } from './service.js'

const tags = ['pty']
const querystring = Type.Object(InstanceQuery)
const TICKET_TTL_S = 60
const MAX_TICKETS = 1000

/** One-time tickets that let a browser open a terminal's WebSocket without the password. */
class Tickets {
  private readonly tickets = new Map<string, { ptyID: string; expires: number }>()

  issue(ptyID: string): string {
    const now = Date.now()
    for (const [ticket, entry] of this.tickets) if (entry.expires <= now) this.tickets.delete(ticket)
    if (this.tickets.size >= MAX_TICKETS) this.tickets.delete(this.tickets.keys().next().value!)
    const ticket = randomUUID()
    this.tickets.set(ticket, { ptyID, expires: now + TICKET_TTL_S * 1000 })
    return ticket
  }

  /** Whether `ticket` was issued for `ptyID` and is still valid; it is used up either way. */
  redeem(ticket: string, ptyID: string): boolean {
    const entry = this.tickets.get(ticket)
    if (!entry) return false
    this.tickets.delete(ticket)
    return entry.ptyID === ptyID && entry.expires > Date.now()
  }
}

export function registerPtyRoutes(app: FastifyInstance, service: PtyService): void {
  const tickets = new Tickets()

  app.get(
    '/pty/shells',
    { schema: { operationId: 'pty.shells', tags, summary: 'Shells a terminal can run', description: 'From /etc/shells, the preferred one ($SHELL, else bash) first.', querystring, response: { 200: Type.Array(ref(PtyShell)) } } },
    async (request) => service.shells(request.instance),
  )

  app.get(
    '/pty',
    { schema: { operationId: 'pty.list', tags, summary: 'Running terminals', querystring, response: { 200: Type.Array(ref(PtyInfo)) } } },
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
          '`command` defaults to $SHELL (else bash); login shells get `-l`. `cwd` (default: the project directory) must lie inside the project. The environment is the server\'s plus `env`, `TERM=xterm-256color` and `OPENCODE_TERMINAL=1`. `pty.created`.',
        querystring,
        body: optionalBody(PtyCreateInput),
        response: { 200: ref(PtyInfo) },
      },
    },
    async (request) => service.create(request.instance, (request.body as Static<typeof PtyCreateInput> | undefined) ?? {}),
  )

  app.get(
    '/pty/:ptyID',
    { schema: { operationId: 'pty.get', tags, summary: 'A running terminal', description: '404 when unknown or exited.', querystring, params: PtyParams, response: { 200: ref(PtyInfo) } } },
    async (request) => service.get(request.instance, (request.params as Static<typeof PtyParams>).ptyID).info,
  )

  app.put(
    '/pty/:ptyID',
    {
      schema: { operationId: 'pty.update', tags, summary: 'Rename or resize a terminal', description: '`pty.updated`.', querystring, params: PtyParams, body: PtyUpdateInput, response: { 200: ref(PtyInfo) } },
    },
    async (request) => service.update(request.instance, (request.params as Static<typeof PtyParams>).ptyID, request.body as Static<typeof PtyUpdateInput>),
  )

  app.delete(
    '/pty/:ptyID',
    { schema: { operationId: 'pty.remove', tags, summary: 'End a terminal', description: 'Kills its process; `pty.deleted`.', querystring, params: PtyParams, response: { 200: Type.Boolean() } } },
    async (request) => {
      service.remove(request.instance, (request.params as Static<typeof PtyParams>).ptyID)
      return true
    },
  )

  app.post(
    '/pty/:ptyID/connect-token',
    {
      schema: {
        operationId: 'pty.connectToken',
        tags,
        summary: 'A one-time ticket for the terminal\'s WebSocket',
        description: 'Needs header `x-opencode-ticket: 1`. The ticket replaces the password on `GET /pty/:ptyID/connect?ticket=` once, within 60 s.',
        querystring,
        params: PtyParams,
        response: { 200: ConnectToken },
      },
    },
    async (request) => {
      if (request.headers['x-opencode-ticket'] !== '1') throw new ForbiddenError('Invalid PTY connect token request')
      const { ptyID } = request.params as Static<typeof PtyParams>
      service.get(request.instance, ptyID)
      return { ticket: tickets.issue(ptyID), expires_in: TICKET_TTL_S }
    },
  )

  app.route({
    method: 'GET',
    url: '/pty/:ptyID/connect',
    config: {
      ticket: (request: FastifyRequest) => {
        const ticket = (request.query as { ticket?: unknown }).ticket
        const ptyID = (request.params as { ptyID?: unknown }).ptyID
        return typeof ticket === 'string' && typeof ptyID === 'string' && tickets.redeem(ticket, ptyID)
      },
    },
    schema: {
      operationId: 'pty.connect',
      tags,
      summary: 'Attach to a terminal over WebSocket',
      description:
        'Upgrade to a WebSocket. The server sends the kept output from `cursor` on (absent: all of it, at least the last 2 MiB characters; `-1`: none) in text frames of at most 65,536 characters, then one binary frame `0x00` + `{"cursor": <characters output so far>}`, then live output. Text (or UTF-8 binary) frames from the client go to the terminal\'s input. The socket closes with 1000 when the terminal ends, 1001 on shutdown, 1013 when the client reads too slowly. Unknown or exited terminal: 404 before the upgrade.',
      querystring: ConnectQuery,
      params: PtyParams,
      response: { 200: Type.Boolean() },
    },
    // Checked before the upgrade, so a missing terminal is a plain 404.
    preHandler: async (request) => {
      service.get(request.instance, (request.params as Static<typeof PtyParams>).ptyID)
    },
    handler: async () => {
      throw new BadRequestError('Expected a WebSocket upgrade')
    },
    wsHandler: (socket, request) => {
      const { ptyID } = request.params as Static<typeof PtyParams>
      let terminal
      try {
        terminal = service.get(request.instance, ptyID)
      } catch {
        socket.close(4404, 'session not found')
        return
      }
      terminal.attach(socket, parseCursor((request.query as Static<typeof ConnectQuery>).cursor))
    },
  })
}
