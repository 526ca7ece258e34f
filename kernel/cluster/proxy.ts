import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import { IncomingMessage, STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Dispatcher } from 'undici'
import WebSocket, { type RawData, type WebSocketServer } from 'ws'
import { CONTENT_LENGTH, HOP_BY_HOP, NOT_OWNER_HEADER, WEBSOCKET_HANDSHAKE, type Body } from './forwarded-request.js'
import type { RemoteOwner } from './leases.js'

/** How forwarding went: answered by the owner, the owner unreachable, or no longer the owner. */
export type Outcome = 'sent' | 'unreachable' | 'not-owner'

type Undici = { agent: Dispatcher; request: typeof import('undici').request }

/** The caller's request as the owner gets it (headers without those in `drop`, and its path). */
export type ForwardedRequest = (
  request: FastifyRequest,
  drop?: Set<string>,
) => { headers: Record<string, string | string[]>; path: string }

/**
 * Sends a request to the node that runs its instance: plain HTTP (the body streamed, or re-sent
 * when a handler found out), SSE (streamed through as it comes) and WebSockets (piped both ways).
 */
export class RequestProxy {
  private dispatcher: Promise<Undici> | undefined

  constructor(
    private readonly log: FastifyBaseLogger,
    private readonly websocketServer: () => WebSocketServer,
    private readonly prepare: ForwardedRequest,
  ) {}

  /** Closes the connections to the other nodes. */
  async close(): Promise<void> {
    const dispatcher = await this.dispatcher?.catch(() => undefined)
    await dispatcher?.agent.destroy().catch(() => {})
  }

  /**
   * Sends the request to `owner` and streams its answer back (an SSE stream as it comes). While it
   * lasts, `alive` is asked every `watchMs` whether the owner still holds its lease: an owner that
   * stopped renewing (paused, cut off) ends the forward as unreachable, rather than hold the
   * caller for as long as it is gone.
   */
  async http(
    request: FastifyRequest,
    reply: FastifyReply,
    owner: RemoteOwner,
    body: Body,
    watch: { alive: () => Promise<boolean>; everyMs: number },
  ): Promise<Outcome> {
    const { agent, request: send } = await this.undici()
    const { headers, path } = this.prepare(
      request,
      typeof body === 'string' || Buffer.isBuffer(body) ? CONTENT_LENGTH : undefined,
    )
    // The caller leaving ends the request to the owner too (an SSE stream, a long prompt).
    const abort = new AbortController()
    let ownerGone = false
    const watcher = setInterval(() => {
      void watch.alive().then((alive) => {
        if (alive || abort.signal.aborted) return
        ownerGone = true
        this.log.warn({ node: owner.owner }, 'cluster: the node a request was forwarded to lost its lease; ending it')
        abort.abort()
      })
    }, watch.everyMs)
    watcher.unref()
    const onClose = () => {
      clearInterval(watcher)
      if (!reply.raw.writableFinished) abort.abort()
    }
    reply.raw.once('close', onClose)
    let response: Dispatcher.ResponseData
    try {
      response = await send(new URL(path, owner.url), {
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
      clearInterval(watcher)
      if (ownerGone) return 'unreachable'
      if (abort.signal.aborted) return 'sent'
      this.log.warn({ err: error, node: owner.owner, url: owner.url }, 'cluster: forwarding a request failed')
      return 'unreachable'
    }
    if (response.statusCode === 503 && response.headers[NOT_OWNER_HEADER] !== undefined) {
      reply.raw.off('close', onClose)
      clearInterval(watcher)
      await response.body.dump().catch(() => {})
      return 'not-owner'
    }
    reply.status(response.statusCode)
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) reply.header(name, value)
    }
    if (response.statusCode === 204 || response.statusCode === 304 || request.method === 'HEAD') {
      reply.raw.off('close', onClose)
      clearInterval(watcher)
      await response.body.dump().catch(() => {})
      reply.send()
      return 'sent'
    }
    response.body.once('close', () => {
      clearInterval(watcher)
      reply.raw.off('close', onClose)
    })
    reply.send(response.body)
    return 'sent'
  }

  /** Opens a WebSocket to the owner, then accepts the caller's upgrade and pipes both ways. */
  webSocket(request: FastifyRequest, reply: FastifyReply, owner: RemoteOwner): Promise<Outcome> {
    const raw = request.raw
    const { socket, head } = upgradeOf(raw)
    const { headers, path } = this.prepare(request, WEBSOCKET_HANDSHAKE)
    const target = new URL(path, owner.url)
    target.protocol = target.protocol === 'https:' ? 'wss:' : 'ws:'
    const protocols = (request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
    return new Promise((resolve) => {
      const upstream = new WebSocket(target, protocols, {
        headers: headers as Record<string, string>,
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
        this.log.warn({ err: error, node: owner.owner, url: owner.url }, 'cluster: forwarding a WebSocket failed')
        resolve('unreachable')
      })
    })
  }
  private undici(): Promise<Undici> {
    this.dispatcher ??= import('undici').then(({ Agent, request }) => ({
      agent: new Agent({ connect: { timeout: 3000 }, keepAliveTimeout: 10_000 }),
      request,
    }))
    return this.dispatcher
  }
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
