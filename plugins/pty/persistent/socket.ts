import type { IncomingHttpHeaders } from 'node:http'
import type { WebSocket } from 'ws'
import { ForbiddenError, InvalidRequestError } from '../../../sdk/index.js'
import { TICKET_TTL_S, ticketCheck, type Tickets } from '../socket.js'
import type { PersistentPtyService } from './service.js'
import type { AttachOptions } from './terminal.js'

export const PERSISTENT_CONNECT_DESCRIPTION =
  'Upgrade to a WebSocket (unknown terminal: 404 before the upgrade). The server sends `{"type":"attached", attachmentID, inputProtocol, info, role, generation, replay:{requestedOffset, availableOffset, endOffset, truncated}}`, the output kept from byte offset `cursor` (default 0) in binary frames, `{"type":"replay_complete", endOffset}`, then live output as binary frames and, as JSON text, `controller_changed {attachmentID, generation}`, `resized {cols, rows, generation, checkpoint}`, `title_changed {title}` and `exited {exitCode, finalOffset}` (then a 1000 close). `role=observer` attaches without taking control; a controller is refused (4404 `terminal unavailable`) while another controls, unless `takeover=true`; typing takes control. `input_protocol=1`: each client frame is `[kind u8][cols u16][rows u16][bytes]`, kind 0 taking control at that size, kind 1 input; otherwise frames are input as they are. A cursor past the end, or an ended terminal, closes with 4404. A `ticket` that does not redeem is a 403.'

interface ConnectRequest {
  params: { ptyID: string }
  query: { cursor?: string; role?: string; attachment_id?: string; takeover?: string; input_protocol?: string }
}

/** The connect query as the terminal takes it (as OpenCode 2.1 reads it: only `observer`, `true` and `1` mean anything). */
function attachOptions(query: ConnectRequest['query']): AttachOptions {
  return {
    cursor: query.cursor === undefined ? 0 : Number(query.cursor),
    attachmentID: query.attachment_id ?? crypto.randomUUID(),
    role: query.role === 'observer' ? 'observer' : 'controller',
    takeover: query.takeover === 'true',
    inputProtocol: query.input_protocol === '1' ? 1 : 0,
  }
}

/** A ticket for the WebSocket: only to a client that asks with `x-opencode-ticket: 1`, for a running terminal. */
export function persistentConnectToken(
  request: { params: { ptyID: string }; headers: IncomingHttpHeaders },
  service: PersistentPtyService,
  tickets: Tickets,
): { ticket: string; expires_in: number } {
  if (request.headers['x-opencode-ticket'] !== '1')
    throw new ForbiddenError('Invalid persistent PTY connect token request')
  const { ptyID } = request.params
  service.get(ptyID)
  return { ticket: tickets.issue(ptyID), expires_in: TICKET_TTL_S }
}

/** The route options of a persistent terminal's WebSocket: ticket check, 404 before the upgrade, attach. */
export function persistentSocket(service: PersistentPtyService, tickets: Tickets) {
  return {
    config: { ticket: ticketCheck(tickets, true) },
    preHandler: async (request: ConnectRequest) => {
      service.get(request.params.ptyID)
    },
    handler: async () => {
      throw new InvalidRequestError('Expected a WebSocket upgrade')
    },
    wsHandler: (socket: WebSocket, request: ConnectRequest) => {
      let terminal
      try {
        terminal = service.get(request.params.ptyID)
      } catch {
        socket.close(4404, 'terminal unavailable')
        return
      }
      terminal.attach(socket, attachOptions(request.query))
    },
  }
}
