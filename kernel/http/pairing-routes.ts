import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { TooManyRequestsError, UnauthorizedError } from '../core/errors.js'
import type { PluginApp } from '../core/plugin-definition.js'
import { PAIRING_TOKEN_SECONDS, type Pairing } from './pairing.js'
import { named, ref, registerSchemas } from './schemas.js'
import { pairingCookieName, type SecurityOptions } from './security.js'
import { UnauthorizedErrorBody, v2Errors } from './v2-conventions.js'

export const PairingCode = named(
  'PairingCode',
  Type.Object({ code: Type.String(), expires_in: Type.Integer() }, { additionalProperties: false }),
)
export const PairingSession = named(
  'PairingSession',
  Type.Object({ token: Type.String() }, { additionalProperties: false }),
)

const EXPIRED = 'Pairing link expired or already used'

/** The pairing cookie: as OpenCode 2.1 sets it (30 days, HttpOnly, Lax), `Secure` over https. */
function pairingCookie(request: FastifyRequest, token: string): string {
  const secure = request.protocol === 'https' ? '; Secure' : ''
  return `${pairingCookieName(request)}=${token}; Max-Age=${PAIRING_TOKEN_SECONDS}; Path=/; HttpOnly; SameSite=Lax${secure}`
}

/** A link opened in a browser gets the cookie and the web app; a client asking for JSON gets the token. */
function wantsPage(request: FastifyRequest): boolean {
  return request.headers.accept?.includes('text/html') === true
}

/**
 * OpenCode 2.1's pairing routes: `POST /api/pair` (authenticated like every `/api` route) and
 * `GET /auth/connect/{code}` (public: the code is the credential; single use, 5 minutes).
 * Failed redemptions count against the address like wrong passwords.
 */
export function registerPairingRoutes(app: PluginApp, security: SecurityOptions, pairing: Pairing): void {
  registerSchemas(app, [PairingCode, PairingSession])
  app.post(
    '/api/pair',
    {
      config: { instance: false, v2: true },
      schema: {
        operationId: 'server.pair',
        tags: ['server'],
        summary: 'Create pairing code',
        description:
          'A short-lived (300 s), single-use code for a `/auth/connect/{code}` pairing link. The request body, if any, is ignored.',
        response: { 200: ref(PairingCode), ...v2Errors() },
      },
    },
    async () => pairing.issue(),
  )

  app.get(
    '/auth/connect/:code',
    {
      config: { instance: false, v2: true, ticket: () => true },
      schema: {
        operationId: 'server.connect',
        tags: ['server'],
        summary: 'Redeem pairing code',
        description:
          'Redeems a pairing code once. A browser (`Accept` naming `text/html`) gets the `opencode_session_<port>` cookie (30 days) and a redirect to the web app; any other client gets `{token}`, which works as the Basic password (user `opencode`) for 30 days. A used, unknown or expired code → 401.',
        params: Type.Object({ code: Type.String({ maxLength: 200 }) }),
        response: { 200: ref(PairingSession), ...v2Errors({ 401: ref(UnauthorizedErrorBody) }) },
      },
    },
    async (request, reply) => {
      const address = security.clientAddress ? security.clientAddress(request) : request.ip
      const wait = security.throttle?.check(address) ?? 0
      if (wait > 0) {
        reply.header('retry-after', String(wait))
        throw new TooManyRequestsError(`Too many failed authentication attempts from this address; retry in ${wait} s`)
      }
      const token = pairing.redeem(request.params.code)
      if (token === undefined) return refuse(request, reply, security, address)
      if (!wantsPage(request)) return { token }
      return reply.header('set-cookie', pairingCookie(request, token)).redirect('/', 302)
    },
  )
}

async function refuse(
  request: FastifyRequest,
  reply: FastifyReply,
  security: SecurityOptions,
  address: string,
): Promise<FastifyReply> {
  const delay = security.throttle?.failed(address) ?? 0
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
  if (!wantsPage(request)) throw new UnauthorizedError(EXPIRED)
  return reply
    .code(401)
    .type('text/plain; charset=utf-8')
    .send('This pairing link expired or was already used. Ask for a new one (POST /api/pair).\n')
}
