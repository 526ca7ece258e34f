import type { FastifyRequest } from 'fastify'
import type { IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'

/** Set by the node that forwards a request: its node id. The receiver serves it, never forwards again. */
export const FORWARDED_HEADER = 'x-opencode-kernel-forwarded'
/** The signed assertion of who asked (assertion.ts), on every forwarded request. */
export const ASSERTION_HEADER = 'x-opencode-kernel-assertion'
// Headers earlier versions sent (the secret in clear, the caller's address and Host): never
// passed on, never believed.
const SECRET_HEADER = 'x-opencode-kernel-secret'
const CLIENT_HEADER = 'x-opencode-kernel-client'
const HOST_HEADER = 'x-opencode-kernel-host'
/** On a 503 from a node that received a forwarded request for an instance it no longer runs. */
export const NOT_OWNER_HEADER = 'x-opencode-kernel-not-owner'

// Headers of one connection, not of the request: never passed on (RFC 9110 §7.6.1), nor are ours.
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'http2-settings',
  FORWARDED_HEADER,
  ASSERTION_HEADER,
  SECRET_HEADER,
  CLIENT_HEADER,
  HOST_HEADER,
])

/** A request's path and query as forwarded: without the `auth_token` credential. */
export function forwardedPath(url: string): string {
  const query = url.indexOf('?')
  if (query < 0 || !/[?&]auth_token=/.test(url)) return url
  const params = new URLSearchParams(url.slice(query + 1))
  params.delete('auth_token')
  const rest = params.toString()
  return rest ? `${url.slice(0, query)}?${rest}` : url.slice(0, query)
}
export const WEBSOCKET_HANDSHAKE = new Set([
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  'sec-websocket-accept',
])

/** What a forwarded request sends: the caller's stream, or a body parsed already (sent again). */
export type BodySource = IncomingMessage | string | Buffer | undefined
export type Body = LazyBody | string | Buffer | undefined

/**
 * The caller's body as the owner reads it. It touches the request only once the owner reads, so
 * when the owner cannot be reached the body is still whole: for another node, or for this one.
 */
export class LazyBody extends Readable {
  started = false

  constructor(private readonly source: IncomingMessage) {
    super()
  }

  override _read(): void {
    if (this.started) {
      this.source.resume()
      return
    }
    this.started = true
    this.source.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) this.source.pause()
    })
    this.source.once('end', () => this.push(null))
    this.source.once('error', (error) => this.destroy(error))
  }
}

/** Whether the request says which directory it is for (else the receiving node's cwd is meant). */
export function namesDirectory(request: FastifyRequest): boolean {
  const query = request.query as Record<string, unknown> | undefined
  const named = (value: unknown) => typeof value === 'string' && value !== ''
  return (
    named(query?.directory) ||
    named(query?.['location[directory]']) ||
    named(query?.['location[workspace]']) ||
    named(query?.workspace) ||
    request.headers['x-directory'] !== undefined ||
    request.headers['x-opencode-directory'] !== undefined ||
    request.headers['x-opencode-workspace'] !== undefined
  )
}

export const CONTENT_LENGTH = new Set(['content-length'])

/** The raw request body, streamed to the owner, when the request has one. */
export function streamedBody(request: FastifyRequest): IncomingMessage | undefined {
  if (request.method === 'GET' || request.method === 'HEAD') return undefined
  const length = request.headers['content-length']
  if (request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) return undefined
  return request.raw
}

/** The body a handler already parsed, sent again as it came (JSON re-serialised). */
export function resentBody(request: FastifyRequest): string | Buffer | undefined {
  const body = request.body
  if (body === undefined || body === null) return undefined
  if (typeof body === 'string' || Buffer.isBuffer(body)) return body
  return JSON.stringify(body)
}
