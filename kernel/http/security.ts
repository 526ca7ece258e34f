import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AuthThrottle } from './auth-throttle.js'
import { ForbiddenError, TooManyRequestsError, UnauthorizedError } from '../core/errors.js'

export interface SecurityOptions {
  /** When set, every request needs HTTP Basic (or a Bearer token) with this password. */
  password?: string
  username: string
  /** The hostname the server listens on; requests naming it in `Host` are accepted. */
  hostname: string
  /** Extra origins allowed for CORS and state-changing requests (`--cors`). */
  cors: readonly string[]
  /** `--insecure`: serve a non-loopback hostname without a password and accept any `Host`. */
  insecure: boolean
  /** Failed authentications per client address (growing delay, then 429). */
  throttle?: AuthThrottle
  /** A per-process bearer token for the server's own in-process requests (never leaves the process). */
  internalToken?: string
  /** The address failed authentications count against; default the peer's (a cluster node passes on its caller's). */
  clientAddress?: (request: FastifyRequest) => string
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1'])

export function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname)
}

const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/

export function isAllowedOrigin(origin: string, options: SecurityOptions): boolean {
  return LOOPBACK_ORIGIN.test(origin) || options.cors.includes(origin)
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/** Compares without leaking, through timing, how much of the secret matched. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected))
}

function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1)
  const colon = host.lastIndexOf(':')
  return colon === -1 ? host : host.slice(0, colon)
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
 * The first hook of every request: authentication when a password is set, otherwise
 * DNS-rebinding protection on `Host`; and, always, no state change from a foreign `Origin`.
 */
export function createSecurityHook(options: SecurityOptions) {
  const allowedHosts = new Set([...LOOPBACK_HOSTS, options.hostname.toLowerCase()])
  // Callback-style (not async): a hook that allocates no promise on every request. Fastify turns
  // a throw into the error response.
  return function security(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
    // CORS preflights carry no credentials by design; @fastify/cors answers them.
    if (request.method === 'OPTIONS') return done()
    if (options.password) {
      // A refused address gets no answer about its credentials, so parallel guesses gain nothing.
      const address = options.clientAddress ? options.clientAddress(request) : request.ip
      const wait = options.throttle?.check(address) ?? 0
      if (wait > 0) {
        reply.header('retry-after', String(wait))
        throw new TooManyRequestsError(`Too many failed authentication attempts from this address; retry in ${wait} s`)
      }
      const credentials = presented(request)
      const internal =
        options.internalToken !== undefined &&
        credentials !== undefined &&
        credentials.username === undefined &&
        sameSecret(credentials.password, options.internalToken)
      const ok =
        internal ||
        (credentials !== undefined &&
          sameSecret(credentials.password, options.password) &&
          (credentials.username === undefined || sameSecret(credentials.username, options.username)))
      if (!ok && !sessionCookieValid(request, options) && !request.routeOptions.config?.ticket?.(request)) {
        // The web app's own script gets no Basic challenge, so the browser shows no native login
        // dialog. Node's fetch also sends `sec-fetch-mode: cors`, but never `sec-fetch-site`: it
        // and every other client get the challenge.
        const mode = request.headers['sec-fetch-mode']
        const ownScript =
          mode !== undefined && mode !== 'navigate' && request.headers['sec-fetch-site'] === 'same-origin'
        if (!ownScript) reply.header('www-authenticate', 'Basic realm="opencode-kernel", charset="UTF-8"')
        // Only a wrong guess counts: a first request without credentials is how clients learn to send them.
        const delay = attempted(request) && options.throttle ? options.throttle.failed(address) : 0
        if (delay > 0) {
          setTimeout(() => done(new UnauthorizedError()), delay)
          return
        }
        throw new UnauthorizedError()
      }
    } else if (!options.insecure) {
      const host = hostnameOf((request.headers.host ?? '').toLowerCase())
      if (!allowedHosts.has(host))
        throw new ForbiddenError(`Host "${host}" is not allowed; this server only answers loopback names`)
    }
    const origin = request.headers.origin
    if (origin && !isAllowedOrigin(origin, options)) {
      const upgrade = request.headers.upgrade?.toLowerCase() === 'websocket'
      if (STATE_CHANGING.has(request.method) || upgrade) {
        throw new ForbiddenError(
          `Origin "${origin}" is not allowed; start the server with --cors ${origin} to allow it`,
        )
      }
    }
    done()
  }
}
