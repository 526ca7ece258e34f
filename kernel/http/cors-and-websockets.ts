import websocket from '@fastify/websocket'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { originAllowed, type OriginOptions } from './origins.js'

const PREFLIGHT_METHODS = 'GET, HEAD, PUT, PATCH, POST, DELETE'

/** `Vary: Origin` on every answer, also when a route set its own `Vary` (the web app's files). */
function varyOnOrigin(reply: FastifyReply): void {
  const vary = reply.getHeader('vary')
  if (vary === 'Origin') return
  if (vary === undefined) reply.header('vary', 'Origin')
  else if (!/(^|,)\s*origin\s*(,|$)/i.test(String(vary))) reply.header('vary', `${String(vary)}, Origin`)
}

/**
 * CORS as OpenCode 2.1 answers it, on every answer (401s included): `Access-Control-Allow-Origin`
 * for an allowed origin only (`originAllowed`), `Vary: Origin` always; any `OPTIONS` is a
 * preflight answered 204 at once with the methods, a day's max-age and the requested headers
 * echoed. A refused origin's request still runs, without the header (the security hook refuses
 * its state changes).
 */
export function registerCors(app: FastifyInstance, security: OriginOptions): void {
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.header('vary', 'Origin')
    const origin = request.headers.origin
    if (origin !== undefined && originAllowed(origin, request, security))
      reply.header('access-control-allow-origin', origin)
    if (request.method !== 'OPTIONS') return done()
    reply.header('access-control-allow-methods', PREFLIGHT_METHODS).header('access-control-max-age', '86400')
    const requested = request.headers['access-control-request-headers']
    if (requested) {
      reply.header('access-control-allow-headers', requested)
      reply.header('vary', 'Origin, Access-Control-Request-Headers')
    }
    reply.code(204).header('content-length', '0').send()
  })
  app.addHook('onSend', (_request, reply, payload, done) => {
    varyOnOrigin(reply)
    done(null, payload)
  })
  // The hook above answers every preflight; this route only keeps OPTIONS from being a 404.
  app.options('*', { config: { instance: false }, schema: { hide: true } }, (_request, reply) => {
    reply.code(204).send()
  })
}

/**
 * WebSocket routes. Registered before the security hook: its onRequest hook marks upgrade
 * requests, so that an upgrade the security or instance hooks refuse still has its socket
 * destroyed (else it keeps the server open).
 */
export async function registerWebSockets(app: FastifyInstance, keepConnections?: () => boolean): Promise<void> {
  await app.register(websocket, {
    options: { maxPayload: 1024 * 1024 },
    // A dev-mode reload closes the old app but keeps its WebSockets (terminals stay attached).
    preClose(done) {
      if (!keepConnections?.()) for (const client of this.websocketServer.clients) client.close(1001, 'server closing')
      this.websocketServer.close()
      done()
    },
  })
}
