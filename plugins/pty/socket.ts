import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyRequest } from 'fastify'
import { BadRequestError, ForbiddenError, type Instance } from '../../sdk/index.js'
import { parseCursor, type PtyService, type PtyView } from './service.js'

// The terminal WebSocket and its one-time tickets, shared by `/pty/:id/connect` and `/api/pty/:id/connect`.

/** How long a connect ticket stays valid. */
export const TICKET_TTL_S = 60
const MAX_TICKETS = 1000

/** One-time tickets that let a browser open a terminal's WebSocket without the password. */
export class Tickets {
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

/** What the terminal routes read of a request, typed by their `PtyParams` and connect query. */
interface TerminalRequest {
  instance: Instance
  params: { ptyID: string }
}

/** Issues a connect ticket: only to a client that asks with `x-opencode-ticket: 1`, for a terminal `view` sees. */
export function connectToken(
  request: TerminalRequest & { headers: IncomingHttpHeaders },
  service: PtyService,
  tickets: Tickets,
  view: PtyView = {},
): { ticket: string; expires_in: number } {
  if (request.headers['x-opencode-ticket'] !== '1') throw new ForbiddenError('Invalid PTY connect token request')
  const { ptyID } = request.params
  service.get(request.instance, ptyID, view)
  return { ticket: tickets.issue(ptyID), expires_in: TICKET_TTL_S }
}

/**
 * The route's `ticket` check, which the security hook runs (before validation) when a request has
 * no valid credentials. `strict` (`/api`, as OpenCode 2.1): a ticket that does not redeem is a
 * 403 there and then, before anything else of the request is looked at; otherwise it is a 401.
 */
export function ticketCheck(tickets: Tickets, strict = false) {
  return (request: FastifyRequest): boolean => {
    const ticket = (request.query as { ticket?: unknown }).ticket
    const ptyID = (request.params as { ptyID?: unknown }).ptyID
    if (typeof ticket !== 'string' || ticket === '') return false
    if (typeof ptyID === 'string' && tickets.redeem(ticket, ptyID)) return true
    if (strict) throw new ForbiddenError('Invalid or expired terminal connect ticket')
    return false
  }
}

export const CONNECT_DESCRIPTION =
  'Upgrade to a WebSocket. The server sends the kept output from `cursor` on (absent: all of it, at least the last 2 MiB characters; `-1`: none) in text frames of at most 65,536 characters, then one binary frame `0x00` + `{"cursor": <characters output so far>}`, then live output. Text (or UTF-8 binary) frames from the client go to the terminal\'s input. The socket closes with 1000 when the terminal ends, 1001 on shutdown, 1013 when the client reads too slowly. An unknown terminal is a 404 before the upgrade.'

/**
 * The route options of a terminal's WebSocket: ticket check, 404 before the upgrade, attach.
 * `/api` (`view.exited`): an exited terminal is attached to and closed at once with 4404
 * `session exited`, as OpenCode 2.1 does; `/pty` answers 404 for it.
 */
export function terminalSocket(service: PtyService, tickets: Tickets, view: PtyView = {}) {
  return {
    config: { ticket: ticketCheck(tickets, view.exited) },
    // Checked before the upgrade, so a missing terminal is a plain 404.
    preHandler: async (request: TerminalRequest) => {
      service.get(request.instance, request.params.ptyID, view)
    },
    handler: async () => {
      throw new BadRequestError('Expected a WebSocket upgrade')
    },
    wsHandler: (socket: import('ws').WebSocket, request: TerminalRequest & { query: { cursor?: string } }) => {
      const { ptyID } = request.params
      let terminal
      try {
        terminal = service.get(request.instance, ptyID, view)
      } catch {
        socket.close(4404, 'session not found')
        return
      }
      if (terminal.info.status !== 'running') {
        socket.close(4404, 'session exited')
        return
      }
      terminal.attach(socket, parseCursor(request.query.cursor))
    },
  }
}
