import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AuthThrottle } from './auth-throttle.js'
import { ForbiddenError, TooManyRequestsError, UnauthorizedError } from '../core/errors.js'
import { hostnameOf, hostPort, isSameOrigin, isServerHost, originAllowed, type OriginOptions } from './origins.js'
import type { Pairing } from './pairing.js'
import { isV2Request } from './v2-conventions.js'

export { isLoopbackHostname } from './origins.js'

export interface SecurityOptions extends OriginOptions {
  /** When set, every request needs HTTP Basic (or a Bearer token) with this password. */
  password?: string
  /** The Basic user name accepted besides `opencode` (`OPENCODE_SERVER_USERNAME`). */
  username: string
  /** `--insecure`: serve a non-loopback hostname without a password and accept any `Host`. */
  insecure: boolean
  /** Failed authentications per client address (growing delay, then 429). */
  throttle?: AuthThrottle
  /** A per-process bearer token for the server's own in-process requests (never leaves the process). */
  internalToken?: string
  /** The address failed authentications count against; default the peer's (a cluster node passes on its caller's). */
  clientAddress?: (request: FastifyRequest) => string
  /** OpenCode 2.1's pairing: its tokens are accepted wherever the password is, and in the session cookie. */
  pairing?: Pairing
  /** The `Host` the caller addressed when another server of a cluster forwarded the request. */
  forwardedHost?: (request: FastifyRequest) => string | undefined
  /** A request another server of the cluster forwarded after authenticating its caller (assertion checked). */
  forwardedAuthenticated?: (request: FastifyRequest) => boolean
}

/** The user name OpenCode's clients send (2.x always): accepted whatever `username` is configured. */
export const OPENCODE_USERNAME = 'opencode'

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/** Compares without leaking, through timing, how much of the secret matched. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected))
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** The credentials a request presents: Basic header, Bearer token, or `auth_token` query (browsers, WebSockets). */
function presented(request: FastifyRequest): { username?: string; password: string } | undefined {
  const header = request.headers.authorization
  if (header) {
    const [scheme, value = ''] = header.split(' ', 2)
    if (scheme?.toLowerCase() === 'bearer') return { password: value.trim() }
    if (scheme?.toLowerCase() === 'basic') return decodeBasic(value.trim())
  }
  const token = (request.query as Record<string, unknown> | undefined)?.auth_token
  if (typeof token === 'string') return decodeBasic(token)
  return undefined
}

/** Whether the request presented any credentials at all (well-formed or not). */
function attempted(request: FastifyRequest): boolean {
  return (
    request.headers.authorization !== undefined ||
    (request.query as Record<string, unknown> | undefined)?.auth_token !== undefined
  )
}

function decodeBasic(encoded: string): { username: string; password: string } | undefined {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon === -1) return undefined
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

/** The web app's login cookie (HttpOnly, SameSite=Strict), set by `POST /web/login`. */
export const SESSION_COOKIE = 'opencode_session'
// Per process: a restart signs everyone out, and a cookie never carries the password itself.
const COOKIE_KEY = randomBytes(32)
const COOKIE_PATTERN = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([0-9]+)\\.([A-Za-z0-9_-]{43})(?:;|$)`)

function cookieMac(password: string, expires: number): string {
  return createHmac('sha256', COOKIE_KEY).update(`${password}\n${expires}`).digest('base64url')
}

/** A login cookie value for a password the security hook has just accepted, valid until `expires` (ms). */
export function signSessionCookie(password: string, expires: number): string {
  return `${expires}.${cookieMac(password, expires)}`
}

function sessionCookieValid(request: FastifyRequest, options: SecurityOptions): boolean {
  const header = request.headers.cookie
  if (!header || !options.password) return false
  const match = COOKIE_PATTERN.exec(header)
  if (!match) return false
  const expires = Number(match[1])
  return expires > Date.now() && sameSecret(match[2]!, cookieMac(options.password, expires))
}

/**
 * OpenCode 2.1's session cookie, which a redeemed pairing link sets: named for the port the
 * browser addressed (`opencode_session_4096`; `opencode_session` when `Host` names none), so that
 * servers on one host keep theirs apart.
 */
export function pairingCookieName(request: FastifyRequest): string {
  const port = hostPort(request)
  return port ? `${SESSION_COOKIE}_${port}` : SESSION_COOKIE
}

function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const equals = part.indexOf('=')
    if (equals !== -1 && part.slice(0, equals).trim() === name) return part.slice(equals + 1).trim()
  }
  return undefined
}

function pairingCookieValid(request: FastifyRequest, options: SecurityOptions): boolean {
  const header = request.headers.cookie
  if (!header || !options.pairing) return false
  // SameSite=Lax lets a top-level navigation from elsewhere carry it: only this server's own pages may use it.
  const origin = request.headers.origin
  if (origin !== undefined && !isSameOrigin(origin, request)) return false
  const value = cookieValue(header, pairingCookieName(request))
  return value !== undefined && options.pairing.verify(value)
}

/** The password, or a pairing token (which stands for it), under `opencode` or the configured user. */
function credentialsValid(request: FastifyRequest, options: SecurityOptions, expected: string): boolean {
  const credentials = presented(request)
  if (!credentials) return false
  const { username, password } = credentials
  if (username === undefined && options.internalToken !== undefined && sameSecret(password, options.internalToken))
    return true
  const user = username === undefined || username === OPENCODE_USERNAME || sameSecret(username, options.username)
  return user && (sameSecret(password, expected) || options.pairing?.verify(password) === true)
}

function authenticated(request: FastifyRequest, options: SecurityOptions, password: string): boolean {
  return (
    credentialsValid(request, options, password) ||
    sessionCookieValid(request, options) ||
    pairingCookieValid(request, options) ||
    request.routeOptions.config?.ticket?.(request) === true
  )
}

/**
 * The 401: with a Basic challenge (OpenCode's realm on its `/api/*` surface), except to the web
 * app's own script, so the browser shows no native login dialog. Node's fetch also sends
 * `sec-fetch-mode: cors`, but never `sec-fetch-site`: it and every other client get the challenge.
 * Only a wrong guess counts against the address: a first request without credentials is how
 * clients learn to send them.
 */
function refuse(
  request: FastifyRequest,
  reply: FastifyReply,
  options: SecurityOptions,
  address: string,
  done: (error?: Error) => void,
): void {
  const mode = request.headers['sec-fetch-mode']
  const ownScript = mode !== undefined && mode !== 'navigate' && request.headers['sec-fetch-site'] === 'same-origin'
  if (!ownScript)
    reply.header(
      'www-authenticate',
      isV2Request(request) ? 'Basic realm="Secure Area"' : 'Basic realm="opencode-kernel", charset="UTF-8"',
    )
  const delay = attempted(request) && options.throttle ? options.throttle.failed(address) : 0
  if (delay > 0) setTimeout(() => done(new UnauthorizedError()), delay)
  else done(new UnauthorizedError())
}

/** No state change and no WebSocket from a page this server does not trust (see `originAllowed`). */
function checkOrigin(request: FastifyRequest, options: SecurityOptions): void {
  const origin = request.headers.origin
  if (!origin || originAllowed(origin, request, options)) return
  const upgrade = request.headers.upgrade?.toLowerCase() === 'websocket'
  if (STATE_CHANGING.has(request.method) || upgrade)
    throw new ForbiddenError(`Origin "${origin}" is not allowed; start the server with --cors ${origin} to allow it`)
}

/**
 * The first hook of every request: authentication when a password is set, otherwise
 * DNS-rebinding protection on `Host`; and, always, no state change from a foreign `Origin`.
 */
export function createSecurityHook(options: SecurityOptions) {
  // Callback-style (not async): a hook that allocates no promise on every request. Fastify turns
  // a throw into the error response.
  return function security(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
    // CORS preflights carry no credentials by design; the CORS hook answers them.
    if (request.method === 'OPTIONS') return done()
    // The origin and cookie checks compare with the Host the browser addressed, not the forwarder's.
    const forwardedHost = options.forwardedHost?.(request)
    if (forwardedHost !== undefined) request.headers.host = forwardedHost
    const { password } = options
    if (password) {
      // A refused address gets no answer about its credentials, so parallel guesses gain nothing.
      const address = options.clientAddress ? options.clientAddress(request) : request.ip
      const wait = options.throttle?.check(address) ?? 0
      if (wait > 0) {
        reply.header('retry-after', String(wait))
        throw new TooManyRequestsError(`Too many failed authentication attempts from this address; retry in ${wait} s`)
      }
      if (!options.forwardedAuthenticated?.(request) && !authenticated(request, options, password))
        return refuse(request, reply, options, address, done)
    } else if (!options.insecure && !isServerHost(request, options.hostname)) {
      const host = hostnameOf(request.headers.host ?? '')
      throw new ForbiddenError(`Host "${host}" is not allowed; this server only answers loopback names`)
    }
    checkOrigin(request, options)
    done()
  }
}
