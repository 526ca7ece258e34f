import cors from '@fastify/cors'
import websocket from '@fastify/websocket'
import type { FastifyInstance } from 'fastify'
import { isAllowedOrigin, type SecurityOptions } from './security.js'

/** CORS headers on every answer (401s included): the loopback origins and those of `--cors`. */
export async function registerCors(app: FastifyInstance, security: SecurityOptions): Promise<void> {
  await app.register(cors, {
    origin: (origin, callback) => callback(null, origin === undefined ? false : isAllowedOrigin(origin, security)),
    methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'],
    maxAge: 86400,
    strictPreflight: false,
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
