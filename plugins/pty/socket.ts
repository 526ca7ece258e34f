import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyRequest } from 'fastify'
import { BadRequestError, ForbiddenError, type Instance } from '../../sdk/index.js'
import { parseCursor, type PtyService } from './service.js'

// The terminal WebSocket and its one-time tickets, shared by `/pty/:id/connect` and `/api/pty/:id/connect`.

const TICKET_TTL_S = 60
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

/** Issues a connect ticket: only to a client that asks with `x-opencode-ticket: 1`, for a live terminal. */
export function connectToken(
  request: TerminalRequest & { headers: IncomingHttpHeaders },
  service: PtyService,
  tickets: Tickets,
): { ticket: string; expires_in: number } {
  if (request.headers['x-opencode-ticket'] !== '1') throw new ForbiddenError('Invalid PTY connect token request')
  const { ptyID } = request.params
  service.get(request.instance, ptyID)
  return { ticket: tickets.issue(ptyID), expires_in: TICKET_TTL_S }
}

export const CONNECT_DESCRIPTION =
  'Upgrade to a WebSocket. The server sends the kept output from `cursor` on (absent: all of it, at least the last 2 MiB characters; `-1`: none) in text frames of at most 65,536 characters, then one binary frame `0x00` + `{"cursor": <characters output so far>}`, then live output. Text (or UTF-8 binary) frames from the client go to the terminal\'s input. The socket closes with 1000 when the terminal ends, 1001 on shutdown, 1013 when the client reads too slowly. Unknown or exited terminal: 404 before the upgrade.'

/** The route options of a terminal's WebSocket: ticket check, 404 before the upgrade, attach. */
export function terminalSocket(service: PtyService, tickets: Tickets) {
  return {
    config: {
      // Runs before validation (in the security hook): nothing in the request is checked yet.
      ticket: (request: FastifyRequest) => {
        const ticket = (request.query as { ticket?: unknown }).ticket
        const ptyID = (request.params as { ptyID?: unknown }).ptyID
        return typeof ticket === 'string' && typeof ptyID === 'string' && tickets.redeem(ticket, ptyID)
      },
    },
    // Checked before the upgrade, so a missing terminal is a plain 404.
    preHandler: async (request: TerminalRequest) => {
      service.get(request.instance, request.params.ptyID)
    },
    handler: async () => {
      throw new BadRequestError('Expected a WebSocket upgrade')
    },
    wsHandler: (socket: import('ws').WebSocket, request: TerminalRequest & { query: { cursor?: string } }) => {
      const { ptyID } = request.params
      let terminal
      try {
        terminal = service.get(request.instance, ptyID)
      } catch {
        socket.close(4404, 'session not found')
        return
      }
      terminal.attach(socket, parseCursor(request.query.cursor))
    },
  }
}
