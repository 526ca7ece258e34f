import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import {
  BadRequestError,
  errorReference,
  isNamedError,
  NamedError,
  NotFoundError,
  type RequestPart,
} from '../core/errors.js'
import { isV2Request, TaggedError, taggedBody } from './v2-conventions.js'
import type { NulInBodyError } from './request-logging.js'

const VALIDATION_KIND: Record<string, RequestPart> = {
  body: 'Body',
  querystring: 'Query',
  params: 'Params',
  headers: 'Headers',
}

/**
 * A named error in the shape of the surface the request is on: `{ name, data }`, or tagged on v2
 * (a 5xx too when it is a deliberate `TaggedError`, such as 503 `ServiceUnavailableError`).
 */
export function sendNamed(request: FastifyRequest, reply: FastifyReply, error: NamedError): void {
  // A location is resolved before any route runs: its 404 is no route's own 404 (AgentNotFoundError,
  // say), so it is sent as it is rather than through that route's response schema.
  if (error.name === 'LocationNotFoundError') reply.serializer(JSON.stringify)
  if (isV2Request(request) && (error.statusCode < 500 || error instanceof TaggedError))
    reply.status(error.statusCode).send(taggedBody(error.name, error.data))
  else reply.status(error.statusCode).send(error.toJSON())
}

/** The v2 routes' answer to a failed validation: `InvalidRequestError` naming the field. */
function handleV2Validation(error: FastifyError, reply: FastifyReply): void {
  const first = error.validation?.[0]
  const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty
  const path = first?.instancePath ? first.instancePath.slice(1).split('/') : []
  if (missing) path.push(missing)
  const kind =
    ({ body: 'Payload', querystring: 'Query', params: 'Params', headers: 'Query' } as const)[
      error.validationContext ?? 'body'
    ] ?? 'Payload'
  const at = path.length ? `\n  at [${path.map((key) => JSON.stringify(key)).join('][')}]` : ''
  const message = `${missing ? 'Missing key' : (first?.message ?? error.message)}${at}`
  reply.status(400).send({ _tag: 'InvalidRequestError', message, kind, ...(path[0] ? { field: path[0] } : {}) })
}

/** The v1 answer to a failed validation: `BadRequest` saying which field and what was expected. */
function handleValidation(error: FastifyError, reply: FastifyReply): void {
  const first = error.validation![0]
  const field = first?.instancePath
    ? first.instancePath.slice(1).replace(/\//g, '.')
    : (first?.params as { missingProperty?: string })?.missingProperty
  const where = field ? ` at "${field}"` : ''
  const allowed = (first?.params as { allowedValues?: unknown[] } | undefined)?.allowedValues
  const expected = allowed ? ` (${allowed.map((value) => JSON.stringify(value)).join(', ')})` : ''
  const message = `${error.validationContext ?? 'request'}${where}: ${first?.message ?? error.message}${expected}`
  const kind = VALIDATION_KIND[error.validationContext ?? 'body'] ?? 'Body'
  reply.status(400).send(new BadRequestError(message, kind).toJSON())
}

/** Fastify's own refusals of a body (malformed, too large, unknown type); true when it was one. */
function handleBodyError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): boolean {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      // OpenCode 2.1 words it without the parser's details.
      if (isV2Request(request))
        reply.status(400).send({ _tag: 'InvalidRequestError', message: 'Expected a valid JSON body', kind: 'Payload' })
      else sendNamed(request, reply, new BadRequestError(`Malformed JSON body: ${error.message}`, 'Body'))
      return true
    case 'OK_ERR_NUL_IN_BODY': {
      const field = (error as unknown as NulInBodyError).field
      if (isV2Request(request))
        reply.status(400).send({ _tag: 'InvalidRequestError', message: error.message, kind: 'Payload', field })
      else sendNamed(request, reply, new BadRequestError(error.message, 'Body'))
      return true
    }
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      reply.status(413).send({ name: 'PayloadTooLargeError', data: { message: 'Request body is too large' } })
      return true
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      // OpenCode 2.1 answers this one in plain text on its `/api/*` surface.
      if (isV2Request(request))
        reply
          .status(415)
          .type('text/plain; charset=utf-8')
          .send(`Unsupported content-type: ${request.headers['content-type'] ?? ''}`)
      else
        reply.status(415).send({
          name: 'UnsupportedMediaTypeError',
          data: { message: `Unsupported content type: ${request.headers['content-type'] ?? ''}` },
        })
      return true
  }
  return false
}

/** A write the disk had no room for: 507, nothing changed; true when it was one. */
function handleDiskFull(error: FastifyError, request: FastifyRequest, reply: FastifyReply): boolean {
  const code = (error as { code?: unknown }).code
  if (code !== 'SQLITE_FULL' && code !== 'ENOSPC') return false
  request.log.warn({ err: error, url: request.url, method: request.method }, 'disk full')
  reply.status(507).send({
    name: 'InsufficientStorageError',
    data: {
      message: 'The server cannot store this: its disk is full. Nothing was changed; retry once space is freed.',
    },
  })
  return true
}

/** Turns any error into the one JSON shape with the right status; 5xx details stay in the log. */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (isNamedError(error)) return sendNamed(request, reply, error)
  if (error.validation && isV2Request(request)) return handleV2Validation(error, reply)
  if (error.validation) return handleValidation(error, reply)
  if (handleBodyError(error, request, reply) || handleDiskFull(error, request, reply)) return
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) {
    sendNamed(request, reply, new NamedError('BadRequest', status, { message: error.message }))
    return
  }
  const ref = errorReference()
  request.log.error({ err: error, ref, url: request.url, method: request.method }, 'request failed')
  reply
    .status(500)
    .send({ name: 'UnknownError', data: { message: 'Unexpected server error. Check server logs for details.', ref } })
}

/** The answer to a path no route serves. */
export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  sendNamed(request, reply, new NotFoundError(`Route not found: ${request.method} ${request.url.split('?')[0]}`))
}
