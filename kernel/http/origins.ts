import type { FastifyRequest } from 'fastify'

/** What deciding on a browser origin needs from the security settings. */
export interface OriginOptions {
  password?: string
  /** The hostname the server listens on. */
  hostname: string
  /** Origins allowed exactly as given (`--cors`). */
  cors: readonly string[]
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1'])

export function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname)
}

/** The hostname part of a `Host` header (`[::1]:4096` → `[::1]`), lower-cased. */
export function hostnameOf(host: string): string {
  const lower = host.toLowerCase()
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1)
  const colon = lower.lastIndexOf(':')
  return colon === -1 ? lower : lower.slice(0, colon)
}

/** The port of the `Host` header, the one the browser addressed; undefined when it names none. */
export function hostPort(request: FastifyRequest): string | undefined {
  return /^(?:\[[^\]]*\]|[^:]*):(\d+)$/.exec(request.headers.host ?? '')?.[1]
}

/** Whether `Host` names this server: a loopback name, or the hostname it listens on. */
export function isServerHost(request: FastifyRequest, hostname: string): boolean {
  const host = hostnameOf(request.headers.host ?? '')
  return isLoopbackHostname(host) || host === hostname.toLowerCase()
}

// OpenCode 2.1's own origins: its hosted web app and its desktop shell.
const OPENCODE_SITE = /^https:\/\/([a-z0-9-]+\.)*opencode\.ai$/
const DESKTOP_ORIGINS = new Set(['tauri://localhost', 'http://tauri.localhost', 'https://tauri.localhost'])
const LOOPBACK_ORIGIN = /^http:\/\/(?:localhost|127\.0\.0\.1|\[::1\]):(\d+)$/

/**
 * True when `origin` is the page's own site: the scheme the request came over and the authority it
 * addressed. (Behind a TLS proxy the request is plain http: name the https origin with `--cors`.)
 */
export function isSameOrigin(origin: string, request: FastifyRequest): boolean {
  const host = request.headers.host
  return host !== undefined && origin.toLowerCase() === `${request.protocol}://${host}`.toLowerCase()
}

/**
 * Whether a page at `origin` may use this server: it gets CORS headers, and may change state and
 * open WebSockets. OpenCode 2.1's list: this server's own loopback origins (`http://localhost:<port>`,
 * `http://127.0.0.1:<port>` with the port the request addressed), each `--cors` origin exactly, and
 * OpenCode's desktop shell and `https://opencode.ai` / `https://*.opencode.ai`. Those last are
 * remote or shared sites: OpenCode always has a password, so here they are trusted only when a
 * password is set (else any page on them could drive an unauthenticated server). The page's own
 * origin is allowed too (the web app on a LAN address), unless no password guards a `Host` this
 * server does not answer to (`--insecure`: a DNS-rebinding page is same-origin with itself).
 */
export function originAllowed(origin: string, request: FastifyRequest, options: OriginOptions): boolean {
  if (options.cors.includes(origin)) return true
  const loopback = LOOPBACK_ORIGIN.exec(origin)
  if (loopback) return loopback[1] === hostPort(request)
  if (isSameOrigin(origin, request)) return options.password !== undefined || isServerHost(request, options.hostname)
  if (DESKTOP_ORIGINS.has(origin) || OPENCODE_SITE.test(origin)) return options.password !== undefined
  return false
}
