import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { IncomingMessage } from 'node:http'
import type { WebSocketServer } from 'ws'
import { ForbiddenError, UnauthorizedError } from '../core/errors.js'
import type { HookDone, RequestRouting } from '../http/request-routing.js'
import type { Instance, InstanceManager } from '../instances/instance.js'
import type { Cluster } from './cluster.js'
import { AssertionVerifier, signAssertion, type Assertion } from './assertion.js'
import {
  ASSERTION_HEADER,
  FORWARDED_HEADER,
  forwardedPath,
  HOP_BY_HOP,
  LazyBody,
  namesDirectory,
  NOT_OWNER_HEADER,
  resentBody,
  streamedBody,
  type BodySource,
} from './forwarded-request.js'
import { InstanceElsewhereError, InstanceUnavailableError, isSelf, type RemoteOwner } from './leases.js'
import { RequestProxy } from './proxy.js'
import { registerClusterHooks } from './request-hooks.js'

/** A body to send once: the caller's stream read as it is sent. */
function bodyOf(source: BodySource) {
  return source instanceof IncomingMessage ? new LazyBody(source) : source
}

/**
 * A cluster node's request routing: a request for an instance whose lease this node holds (or
 * takes) runs here; one for an instance another node runs is sent there (`RequestProxy`), with the
 * caller's headers but not its credentials, and a signed assertion of who asked (assertion.ts).
 * The receiver checks the assertion and serves a forwarded request itself, never forwarding it
 * again.
 */
export class ClusterRouting implements RequestRouting {
  /** Forwarded requests and what their assertion says. */
  private readonly forwarded = new WeakMap<FastifyRequest, Assertion>()
  private readonly refused = new WeakSet<FastifyRequest>()
  private readonly verifier: AssertionVerifier
  /** The directory this node resolved for a request (its cwd when the request named none). */
  private readonly resolved = new WeakMap<FastifyRequest, string>()
  /** Requests let through on a ticket only the owner can redeem: never served here. */
  private readonly ticketOnly = new WeakSet<FastifyRequest>()
  private readonly proxy: RequestProxy

  constructor(
    private readonly instances: InstanceManager,
    private readonly cluster: Cluster,
    websocketServer: () => WebSocketServer,
  ) {
    this.verifier = new AssertionVerifier(cluster.secret)
    this.proxy = new RequestProxy(cluster.log, websocketServer, (request, drop) => this.forwardedRequest(request, drop))
  }

  /** After the security hook: the database's health and commits (request-hooks.ts), then forwarded requests. */
  addHooks(app: FastifyInstance): void {
    registerClusterHooks(app, this.cluster)
    app.addHook('onRequest', this.checkForwarded)
  }

  /** A global onRequest hook: a request that says it was forwarded must carry a valid assertion. */
  readonly checkForwarded = (request: FastifyRequest, _reply: FastifyReply, done: HookDone): void => {
    if (request.headers[FORWARDED_HEADER] === undefined) return done()
    if (!this.assertionOf(request))
      return done(new ForbiddenError('Forwarded request refused: missing, forged or expired assertion'))
    done()
  }

  /** What a forwarded request's valid assertion says (none for any other request). */
  private assertionOf(request: FastifyRequest): Assertion | undefined {
    if (request.headers[FORWARDED_HEADER] === undefined) return undefined
    let assertion = this.forwarded.get(request)
    if (!assertion && !this.refused.has(request)) {
      // Checked once (an assertion is used once), by whichever hook asks first.
      assertion = this.verifier.verify(request.headers[ASSERTION_HEADER], request.method, request.url)
      if (assertion) this.forwarded.set(request, assertion)
      else this.refused.add(request)
    }
    return assertion
  }

  /**
   * The address failed authentications count against: a forwarded request's is its caller's, so
   * a client failing through a node never gets that node throttled by the owner.
   */
  readonly clientAddress = (request: FastifyRequest): string => this.assertionOf(request)?.client ?? request.ip

  /** The `Host` a forwarded request's caller addressed, for the origin checks. */
  readonly forwardedHost = (request: FastifyRequest): string | undefined => this.assertionOf(request)?.host

  /** A forwarded request whose caller the forwarding node authenticated (its credentials stay there). */
  readonly forwardedAuthenticated = (request: FastifyRequest): boolean =>
    this.assertionOf(request)?.authenticated === true

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
  route(request: FastifyRequest, reply: FastifyReply, directory: Promise<string>, done: HookDone): void {
    if (this.ticketOnly.has(request)) {
      this.forwardTicket(request, reply, directory).catch((error: Error) => done(error))
      return
    }
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
    await this.proxy.close()
  }

  private sendUnavailable(request: FastifyRequest, reply: FastifyReply, error: InstanceUnavailableError): void {
    if (reply.sent || reply.raw.headersSent) return
    reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))))
    // The forwarding node asks the lease again rather than passing this answer on.
    if (this.forwarded.has(request)) reply.header(NOT_OWNER_HEADER, '1')
    reply.status(503).send(error.toJSON())
  }

  /**
   * A request on a ticket this node did not issue: only the node running the instance can redeem
   * it, so it goes there, or is refused (401) when no other live node runs it. Nothing else
   * happens here: no lease is taken, and a directory that does not exist is the same 401.
   */
  private async forwardTicket(request: FastifyRequest, reply: FastifyReply, directory: Promise<string>) {
    const resolved = await directory.catch(() => undefined)
    const owner = resolved === undefined ? undefined : await this.cluster.leases.holder(resolved)
    if (resolved === undefined || !owner) throw new UnauthorizedError()
    this.resolved.set(request, resolved)
    const outcome = request.ws
      ? await this.proxy.webSocket(request, reply, owner)
      : await this.proxy.http(request, reply, owner, bodyOf(streamedBody(request)), {
          alive: () => this.cluster.leases.heldBy(resolved, owner.owner),
          everyMs: Math.max(250, Math.floor(this.cluster.leaseTtlMs / 2)),
        })
    if (outcome !== 'sent') throw new InstanceUnavailableError(`Instance ${resolved} is changing hands; retry`, 100)
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
    first: RemoteOwner,
    source: BodySource,
  ): Promise<boolean> {
    let owner = first
    for (let attempt = 0; ; attempt++) {
      const body = bodyOf(source)
      const outcome = request.ws
        ? await this.proxy.webSocket(request, reply, owner)
        : await this.proxy.http(request, reply, owner, body, {
            alive: () => this.cluster.leases.heldBy(directory, owner.owner),
            everyMs: Math.max(250, Math.floor(this.cluster.leaseTtlMs / 2)),
          })
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

  /**
   * The request as the owner gets it: the caller's headers without its credentials (cookies, the
   * `Authorization` header, an `auth_token` in the query) once this node checked them, and the
   * signed assertion of who asked.
   */
  private forwardedRequest(
    request: FastifyRequest,
    drop?: Set<string>,
  ): { headers: Record<string, string | string[]>; path: string } {
    const authenticated = !this.ticketOnly.has(request)
    const path = authenticated ? forwardedPath(request.url) : request.url
    const headers: Record<string, string | string[]> = {}
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name) || drop?.has(name)) continue
      if (authenticated && (name === 'authorization' || name === 'cookie')) continue
      headers[name] = value
    }
    headers[FORWARDED_HEADER] = this.cluster.nodeId
    headers[ASSERTION_HEADER] = signAssertion(this.cluster.secret, {
      node: this.cluster.nodeId,
      method: request.method,
      path,
      client: this.clientAddress(request),
      ...(request.headers.host !== undefined ? { host: request.headers.host } : {}),
      authenticated,
    })
    // A request that named no directory meant this node's cwd, which the owner's may not be.
    const directory = this.resolved.get(request)
    if (directory !== undefined && !namesDirectory(request))
      headers['x-opencode-directory'] = encodeURIComponent(directory)
    return { headers, path }
  }
}
