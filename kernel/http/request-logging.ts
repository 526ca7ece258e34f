import type { FastifyBaseLogger, FastifyInstance } from 'fastify'

/** A request taking this long is logged at `info` even when requests are not (prompts can). */
const SLOW_REQUEST_MS = 1000

/**
 * Requests are logged at `debug`; at the default level only slow ones (and 5xx, by the error
 * handler) reach the log, so the hot path writes nothing.
 */
export function addRequestLogging(app: FastifyInstance, log: FastifyBaseLogger): void {
  const logEvery = log.level === 'debug' || log.level === 'trace'
  app.addHook('onResponse', (request, reply, done) => {
    const ms = reply.elapsedTime
    if (ms >= SLOW_REQUEST_MS)
      request.log.info(
        { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(ms) },
        'slow request',
      )
    else if (logEvery)
      request.log.debug(
        { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(ms * 100) / 100 },
        'request',
      )
    done()
  })
}

/** An empty JSON body counts as no body: OpenCode clients POST action routes without one. */
export function acceptEmptyJsonBody(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString()
    if (text.trim() === '') return done(null, undefined)
    parseJson(request, text, done)
  })
}
