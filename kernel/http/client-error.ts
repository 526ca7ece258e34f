// Requests Node's HTTP parser refuses (headers over 16 KB, garbage, a header timeout) get their
// 4xx with `Connection: close`, then a lingering close. Fastify's default handler answers without
// that header and destroys the socket at once: a keep-alive client (undici) takes the answer as
// reusable and sends its next request into the closed socket ("other side closed"), and bytes of
// the refused request still unread make the kernel reset the connection, often before the client
// has read the answer (ECONNRESET).
import type { FastifyInstance } from 'fastify'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'

/** How long a refused connection is drained after its answer before it is destroyed. */
export const LINGER_MS = 2000

/** Sockets already answered: Node reports the parser's error again for every later chunk. */
const answered = new WeakSet<Socket>()

function answerFor(code: string | undefined): { status: number; message: string } {
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, message: 'The request line and headers exceed 16 KB' }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, message: 'The request was not received in time' }
  return { status: 400, message: 'Malformed HTTP request' }
}

/** Fastify's `clientErrorHandler`: the kernel's error shape, `Connection: close`, then drain and close. */
export function handleClientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return
  answered.add(socket)
  this.log.debug({ err: error }, 'refused an unparsable request')
  const { status, message } = answerFor(error.code)
  const body = JSON.stringify({ name: 'BadRequest', data: { message } })
  // A response already under way on this connection (a malformed body of a parsed request) may
  // only be replaced while none of it is sent; the connection then ends at once, as in Node.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (socket.writable && !inFlight?.headersSent) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
  }
  if (inFlight) {
    socket.destroy()
    return
  }
  // The parser is done with this socket: what else the client sends is read and dropped, so that
  // the close is a FIN after the answer, not a reset that can discard it.
  socket.removeAllListeners('data')
  socket.on('data', () => {})
  socket.resume()
  const timer = setTimeout(() => socket.destroy(), LINGER_MS)
  timer.unref()
  socket.once('end', () => socket.destroy())
  socket.once('close', () => clearTimeout(timer))
  socket.end()
}
