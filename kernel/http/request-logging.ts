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

/** Where in a parsed body a string holds U+0000 (`title`, `parts[0].text`), if anywhere. */
function nulPath(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? path : undefined
  if (typeof value !== 'object' || value === null) return undefined
  for (const [key, child] of Object.entries(value)) {
    const inner = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key
    if (key.includes('\0')) return inner
    const found = nulPath(child, inner)
    if (found !== undefined) return found
  }
  return undefined
}

/** A body with U+0000 in a string: refused whole (PostgreSQL cannot store it, and no input needs it). */
export class NulInBodyError extends Error {
  readonly code = 'OK_ERR_NUL_IN_BODY'
  readonly statusCode = 400
  constructor(readonly field: string) {
    super(`Text must not contain NUL characters (U+0000)${field ? `: ${field}` : ''}`)
  }
}

/**
 * An empty JSON body counts as no body: OpenCode clients POST action routes without one. A body
 * whose strings hold U+0000 is a 400 before any handler runs (only bodies with the `\u0000` escape
 * are walked).
 */
export function acceptEmptyJsonBody(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString()
    if (text.trim() === '') return done(null, undefined)
    if (!text.includes('\\u0000')) return parseJson(request, text, done)
    parseJson(request, text, (error, value) => {
      if (error) return done(error, undefined)
      const field = nulPath(value, '')
      done(field === undefined ? null : new NulInBodyError(field), field === undefined ? value : undefined)
    })
  })
}
