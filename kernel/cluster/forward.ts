import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { IncomingMessage, STATUS_CODES } from 'node:http'
import { Readable, type Duplex } from 'node:stream'
import type { Dispatcher } from 'undici'
import WebSocket, { type RawData, type WebSocketServer } from 'ws'
import { ForbiddenError, UnauthorizedError } from '../core/errors.js'
import type { RequestRouting } from '../http/request-routing.js'
import type { Instance, InstanceManager } from '../instances/instance.js'
import { sameSecret } from '../http/security.js'
import type { Cluster } from './cluster.js'
import { registerClusterHooks } from './request-hooks.js'
import { InstanceElsewhereError, InstanceUnavailableError, isSelf, type RemoteOwner } from './leases.js'

/** Set by the node that forwards a request: its node id. The receiver serves it, never forwards again. */
export const FORWARDED_HEADER = 'x-opencode-kernel-forwarded'
/** The cluster secret, on every forwarded request. */
export const SECRET_HEADER = 'x-opencode-kernel-secret'
/** The caller's address as the forwarding node saw it (failed authentications count against it). */
const CLIENT_HEADER = 'x-opencode-kernel-client'
/** On a 503 from a node that received a forwarded request for an instance it no longer runs. */
const NOT_OWNER_HEADER = 'x-opencode-kernel-not-owner'

// Headers of one connection, not of the request: never passed on (RFC 9110 §7.6.1), nor are ours.
const HOP_BY_HOP = new Set([
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
  SECRET_HEADER,
  CLIENT_HEADER,
])
const WEBSOCKET_HANDSHAKE = new Set([
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  'sec-websocket-accept',
])

type Owner = RemoteOwner
type Outcome = 'sent' | 'unreachable' | 'not-owner'
type Done = (error?: Error) => void

/**
 * Sends requests for instances another node runs to that node: plain HTTP (the body streamed, or
 * re-sent when a handler found out), SSE (streamed through as it comes) and WebSockets (piped both
 * ways). The caller's headers go along with the cluster secret; the receiver checks the secret and
 * serves a forwarded request itself, never forwarding it again.
 */
export class ClusterRouting implements RequestRouting {
  private readonly forwarded = new WeakSet<FastifyRequest>()
  /** The directory this node resolved for a request (its cwd when the request named none). */
  private readonly resolved = new WeakMap<FastifyRequest, string>()
  /** Requests let through on a ticket only the owner can redeem: never served here. */
  private readonly ticketOnly = new WeakSet<FastifyRequest>()
  private dispatcher: Promise<{ agent: Dispatcher; request: typeof import('undici').request }> | undefined

  constructor(
    private readonly instances: InstanceManager,
    private readonly cluster: Cluster,
    private readonly websocketServer: () => WebSocketServer,
  ) {}

  /** After the security hook: the database's health and commits (request-hooks.ts), then forwarded requests. */
  addHooks(app: FastifyInstance): void {
    registerClusterHooks(app, this.cluster)
    app.addHook('onRequest', this.checkForwarded)
  }

  /** A global onRequest hook: a request that says it was forwarded must carry the cluster secret. */
  readonly checkForwarded = (request: FastifyRequest, _reply: FastifyReply, done: Done): void => {
    if (request.headers[FORWARDED_HEADER] === undefined) return done()
    const secret = request.headers[SECRET_HEADER]
    if (typeof secret !== 'string' || !sameSecret(secret, this.cluster.secret))
      return done(new ForbiddenError('Forwarded request refused: wrong or missing cluster secret'))
    this.forwarded.add(request)
    done()
  }

  /**
   * The address failed authentications count against: a forwarded request's (secret checked) is
   * its caller's, so a client failing through a node never gets that node throttled by the owner.
   */
  readonly clientAddress = (request: FastifyRequest): string => {
    const client = request.headers[CLIENT_HEADER]
    if (typeof client !== 'string' || request.headers[FORWARDED_HEADER] === undefined) return request.ip
    const secret = request.headers[SECRET_HEADER]
    return typeof secret === 'string' && sameSecret(secret, this.cluster.secret) ? client : request.ip
  }

  /**
   * A route's ticket check (a browser's terminal WebSocket) on a cluster node: a ticket this node
   * does not know may have been issued by the instance's owner, so the request goes on to routing,
   * where it is forwarded (the owner redeems the ticket) or, if this node runs the instance, refused.
   */
  ticketCheck(redeem: (request: FastifyRequest) => boolean): (request: FastifyRequest) => boolean {
    return (request) => {
      if (redeem(request)) return true
      const ticket = (request.query as { ticket?: unknown } | undefined)?.ticket
      // A forwarded request is the owner's to redeem, here: nothing to defer.
      if (typeof ticket !== 'string' || ticket === '' || request.headers[FORWARDED_HEADER] !== undefined) return false
      this.ticketOnly.add(request)
      return true
    }
  }

  /** The synchronous path: a booted instance whose lease this node holds (not for a deferred ticket). */
  servesHere(request: FastifyRequest, directory: string): boolean {
    return this.cluster.leases.holds(directory) && !this.ticketOnly.has(request)
  }

  /**
   * The instance hooks' slow path: takes the lease and boots the instance here, or forwards the
   * request to the node holding the lease (the reply is then sent; `done` is never called).
   */
  route(request: FastifyRequest, reply: FastifyReply, directory: Promise<string>, done: Done): void {
    directory
      .then((resolved) => {
        this.resolved.set(request, resolved)
        return this.instanceOrForward(request, reply, resolved)
      })
      .then(
        (instance) => {
          if (!instance) return
          request.instance = instance
          done()
        },
        (error: Error) => done(error),
      )
  }

  /**
   * The error handler's part: a handler found the instance it needs runs on another node (it
   * looked the session up). The request goes there, its parsed body sent again. True if handled.
   */
  handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): boolean {
    if (error instanceof InstanceElsewhereError && !this.forwarded.has(request) && !request.ws) {
      // Found by a handler (the body was parsed: sent again), or by the instance hook (unread: streamed).
      const body = request.body !== undefined ? resentBody(request) : streamedBody(request)
      void this.forwardWithRetry(request, reply, error.directory, error.owner, body).then(
        (sent) => {
          if (!sent)
            this.sendUnavailable(
              request,
              reply,
              new InstanceUnavailableError(`Instance ${error.directory} is changing hands; retry`, 100),
            )
        },
        (failure: Error) =>
          this.sendUnavailable(
            request,
            reply,
            failure instanceof InstanceUnavailableError ? failure : new InstanceUnavailableError(failure.message, 1000),
          ),
      )
      return true
    }
    if (error instanceof InstanceUnavailableError) {
      this.sendUnavailable(request, reply, error)
      return true
    }
    return false
  }

  /** Closes the connections to the other nodes. */
  async close(): Promise<void> {
    const dispatcher = await this.dispatcher?.catch(() => undefined)
    await dispatcher?.agent.destroy().catch(() => {})
  }

  private sendUnavailable(request: FastifyRequest, reply: FastifyReply, error: InstanceUnavailableError): void {
    if (reply.sent || reply.raw.headersSent) return
    reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))))
    // The forwarding node asks the lease again rather than passing this answer on.
    if (this.forwarded.has(request)) reply.header(NOT_OWNER_HEADER, '1')
    reply.status(503).send(error.toJSON())
  }

  private async instanceOrForward(
    request: FastifyRequest,
    reply: FastifyReply,
    directory: string,
  ): Promise<Instance | undefined> {
    const owner = await this.cluster.leases.acquire(directory)
    if (isSelf(owner)) {
      if (this.ticketOnly.has(request)) throw new UnauthorizedError()
      return this.instances.get(directory)
    }
    if (this.forwarded.has(request)) {
      throw new InstanceUnavailableError(
        `Node ${this.cluster.nodeId} no longer runs instance ${directory} (node ${owner.owner} does); retry`,
        100,
      )
    }
    const sent = await this.forwardWithRetry(request, reply, directory, owner, streamedBody(request))
    if (sent) return undefined
    // The lease is free now (the owner handed it back): run the instance here.
    if (this.ticketOnly.has(request)) throw new UnauthorizedError()
    return this.instances.get(directory)
  }

  /**
   * Forwards to `owner`; when it is unreachable or no longer the owner, asks the lease again once.
   * Resolves true when a reply was sent, false when this node took the lease meanwhile.
   */
  private async forwardWithRetry(
    request: FastifyRequest,
    reply: FastifyReply,
    directory: string,
    first: Owner,
    source: BodySource,
  ): Promise<boolean> {
    let owner = first
    for (let attempt = 0; ; attempt++) {
      const body = source instanceof IncomingMessage ? new LazyBody(source) : source
      const outcome = request.ws
        ? await this.proxyWebSocket(request, reply, owner)
        : await this.proxyHttp(request, reply, owner, body)
      if (outcome === 'sent') return true
      this.cluster.leases.forget(directory)
      // A node that shut down handed its leases back: the lease may be free (or another's) now.
      const next = await this.cluster.leases.acquire(directory)
      // A streamed body the owner never started reading can still go elsewhere.
      const resendable = !(body instanceof LazyBody) || !body.started
      // Killed, not shut down: its lease runs until it expires.
      const deadOwner = outcome === 'unreachable' && !isSelf(next) && next.owner === owner.owner
      if (attempt === 0 && resendable && !deadOwner) {
        if (isSelf(next)) return false
        owner = next
        continue
      }
      if (deadOwner) {
        throw new InstanceUnavailableError(
          `Instance ${directory} runs on node ${owner.owner}, which does not answer; another node takes it over when its lease expires`,
          Math.max(100, (next as RemoteOwner).remainingMs),
        )
      }
      throw new InstanceUnavailableError(`Instance ${directory} is changing hands; retry`, 100)
    }
  }

  private undici(): Promise<{ agent: Dispatcher; request: typeof import('undici').request }> {
    this.dispatcher ??= import('undici').then(({ Agent, request }) => ({
      agent: new Agent({ connect: { timeout: 3000 }, keepAliveTimeout: 10_000 }),
      request,
    }))
    return this.dispatcher
  }

  private forwardedHeaders(request: FastifyRequest, drop?: Set<string>): Record<string, string | string[]> {
    const headers: Record<string, string | string[]> = {}
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name) || drop?.has(name)) continue
      headers[name] = value
    }
    headers[FORWARDED_HEADER] = this.cluster.nodeId
    headers[SECRET_HEADER] = this.cluster.secret
    headers[CLIENT_HEADER] = this.clientAddress(request)
    // A request that named no directory meant this node's cwd, which the owner's may not be.
    const directory = this.resolved.get(request)
    if (directory !== undefined && !namesDirectory(request))
      headers['x-opencode-directory'] = encodeURIComponent(directory)
    return headers
  }

  private async proxyHttp(request: FastifyRequest, reply: FastifyReply, owner: Owner, body: Body): Promise<Outcome> {
    const { agent, request: send } = await this.undici()
    const headers = this.forwardedHeaders(
      request,
      typeof body === 'string' || Buffer.isBuffer(body) ? CONTENT_LENGTH : undefined,
    )
    // The caller leaving ends the request to the owner too (an SSE stream, a long prompt).
    const abort = new AbortController()
    const onClose = () => {
      if (!reply.raw.writableFinished) abort.abort()
    }
    reply.raw.once('close', onClose)
    let response: Dispatcher.ResponseData
    try {
      response = await send(new URL(request.url, owner.url), {
        method: request.method as Dispatcher.HttpMethod,
        headers,
        body,
        signal: abort.signal,
        dispatcher: agent,
        // Prompts answer when the turn ends and SSE streams never do: no timeouts but the connect one.
        headersTimeout: 0,
        bodyTimeout: 0,
      })
    } catch (error) {
      reply.raw.off('close', onClose)
      if (abort.signal.aborted) return 'sent'
      this.cluster.log.warn({ err: error, node: owner.owner, url: owner.url }, 'cluster: forwarding a request failed')
      return 'unreachable'
    }
    if (response.statusCode === 503 && response.headers[NOT_OWNER_HEADER] !== undefined) {
      reply.raw.off('close', onClose)
      await response.body.dump().catch(() => {})
      return 'not-owner'
    }
    reply.status(response.statusCode)
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) reply.header(name, value)
    }
    if (response.statusCode === 204 || response.statusCode === 304 || request.method === 'HEAD') {
      reply.raw.off('close', onClose)
      await response.body.dump().catch(() => {})
      reply.send()
      return 'sent'
    }
    response.body.once('end', () => reply.raw.off('close', onClose))
    reply.send(response.body)
    return 'sent'
  }

  /** Opens a WebSocket to the owner, then accepts the caller's upgrade and pipes both ways. */
  private proxyWebSocket(request: FastifyRequest, reply: FastifyReply, owner: Owner): Promise<Outcome> {
    const raw = request.raw
    const { socket, head } = upgradeOf(raw)
    const target = new URL(request.url, owner.url)
    target.protocol = target.protocol === 'https:' ? 'wss:' : 'ws:'
    const protocols = (request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
    return new Promise((resolve) => {
      const upstream = new WebSocket(target, protocols, {
        headers: this.forwardedHeaders(request, WEBSOCKET_HANDSHAKE) as Record<string, string>,
        perMessageDeflate: false,
        handshakeTimeout: 5000,
        maxPayload: 1024 * 1024,
      })
      const early: [RawData, boolean][] = []
      let client: WebSocket | undefined
      let settled = false
      const callerGone = () => upstream.terminate()
      socket.once('close', callerGone)
      upstream.on('message', (data, isBinary) => {
        if (client) client.send(data, { binary: isBinary })
        else early.push([data, isBinary])
      })
      upstream.once('open', () => {
        settled = true
        socket.off('close', callerGone)
        reply.hijack()
        this.websocketServer().handleUpgrade(raw, socket, head, (accepted) => {
          client = accepted
          for (const [data, isBinary] of early.splice(0)) accepted.send(data, { binary: isBinary })
          accepted.on('message', (data, isBinary) => upstream.send(data, { binary: isBinary }))
          accepted.once('close', (code, reason) => closeWith(upstream, code, reason))
          upstream.once('close', (code, reason) => closeWith(accepted, code, reason))
          accepted.on('error', () => upstream.terminate())
          upstream.on('error', () => accepted.terminate())
        })
        resolve('sent')
      })
      // The owner refused the upgrade (401, 404, 503…): its answer goes to the caller as it is.
      upstream.once('unexpected-response', (_request, response: IncomingMessage) => {
        settled = true
        socket.off('close', callerGone)
        if (response.statusCode === 503 && response.headers[NOT_OWNER_HEADER] !== undefined) {
          response.resume()
          upstream.terminate()
          return resolve('not-owner')
        }
        reply.hijack()
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.once('end', () => {
          const body = Buffer.concat(chunks)
          const status = response.statusCode ?? 502
          const type = response.headers['content-type'] ?? 'application/json; charset=utf-8'
          socket.end(
            `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.toString()}`,
          )
          upstream.terminate()
        })
        resolve('sent')
      })
      upstream.on('error', (error) => {
        if (settled) return
        settled = true
        socket.off('close', callerGone)
        this.cluster.log.warn(
          { err: error, node: owner.owner, url: owner.url },
          'cluster: forwarding a WebSocket failed',
        )
        resolve('unreachable')
      })
    })
  }
}

/** What a forwarded request sends: the caller's stream, or a body parsed already (sent again). */
type BodySource = IncomingMessage | string | Buffer | undefined
type Body = LazyBody | string | Buffer | undefined

/**
 * The caller's body as the owner reads it. It touches the request only once the owner reads, so
 * when the owner cannot be reached the body is still whole: for another node, or for this one.
 */
class LazyBody extends Readable {
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
function namesDirectory(request: FastifyRequest): boolean {
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

const CONTENT_LENGTH = new Set(['content-length'])

/** The raw request body, streamed to the owner, when the request has one. */
function streamedBody(request: FastifyRequest): IncomingMessage | undefined {
  if (request.method === 'GET' || request.method === 'HEAD') return undefined
  const length = request.headers['content-length']
  if (request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) return undefined
  return request.raw
}

/** The body a handler already parsed, sent again as it came (JSON re-serialised). */
function resentBody(request: FastifyRequest): string | Buffer | undefined {
  const body = request.body
  if (body === undefined || body === null) return undefined
  if (typeof body === 'string' || Buffer.isBuffer(body)) return body
  return JSON.stringify(body)
}

/** The socket and first bytes @fastify/websocket keeps on an upgrade request. */
function upgradeOf(raw: IncomingMessage): { socket: Duplex; head: Buffer } {
  const fields = raw as unknown as Record<symbol, unknown>
  let socket: Duplex = raw.socket
  let head: Buffer = Buffer.alloc(0)
  for (const symbol of Object.getOwnPropertySymbols(raw)) {
    if (symbol.description === 'ws-socket') socket = fields[symbol] as Duplex
    else if (symbol.description === 'ws-head') head = fields[symbol] as Buffer
  }
  return { socket, head }
}

/** Passes a close on with its code where the protocol allows sending it. */
function closeWith(target: WebSocket, code: number, reason: Buffer): void {
  if (target.readyState === WebSocket.CLOSED || target.readyState === WebSocket.CLOSING) return
  if (code === 1006) return target.terminate()
  const sendable =
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999)
  try {
    if (sendable) target.close(code, reason)
    else target.close()
  } catch {
    target.terminate()
  }
}
