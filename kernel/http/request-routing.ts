import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** The callback of a Fastify hook: an error answers the request with it. */
export type HookDone = (error?: Error) => void

/**
 * How a stores backend shared by several servers routes requests: to this server when it runs
 * the request's instance, else to the server that does. The app calls it at fixed points: the
 * error handler, the global hooks after security, and the instance hook of every route.
 */
export interface RequestRouting {
  /** Adds the global hooks every request passes after the security hook. */
  addHooks(app: FastifyInstance): void
  /** The address failed authentications count against (a forwarded request's caller). */
  readonly clientAddress?: (request: FastifyRequest) => string
  /** The `Host` a forwarded request's caller addressed, when this server received it from another. */
  readonly forwardedHost?: (request: FastifyRequest) => string | undefined
  /** A request another server of the cluster forwarded, whose caller it authenticated. */
  readonly forwardedAuthenticated?: (request: FastifyRequest) => boolean
  /** Asked first by the error handler; true when it answered the request. */
  handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): boolean
  /** Wraps a route's ticket check (a ticket another server issued is redeemed there). */
  ticketCheck?(redeem: (request: FastifyRequest) => boolean): (request: FastifyRequest) => boolean
  /** The synchronous path: whether a booted instance of `directory` may serve `request` here. */
  servesHere(request: FastifyRequest, directory: string): boolean
  /**
   * The slow path: boots the instance here (sets `request.instance`, calls `done`), or sends the
   * request to the server running it (the reply is then sent; `done` is never called).
   */
  route(request: FastifyRequest, reply: FastifyReply, directory: Promise<string>, done: HookDone): void
  /** Closes the connections to the other servers (the app closes). */
  close(): Promise<void>
}
