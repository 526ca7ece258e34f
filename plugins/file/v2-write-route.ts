import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import {
  LocationQuery,
  PublicLocationEnvelope,
  V2ErrorBody,
  publicLocationEnvelope,
  ref,
  v2Errors,
  type PluginApp,
} from '../../sdk/index.js'
import type { FileService } from './service.js'

/** The largest body `POST /api/experimental/fs/write` takes (413 beyond). */
export const MAX_WRITE_BYTES = 32 * 1024 * 1024
const OCTET_STREAM = 'application/octet-stream'

function tooLarge(reply: FastifyReply): FastifyReply {
  return reply.code(413).send({
    _tag: 'PayloadTooLargeError',
    message: `The body is larger than ${MAX_WRITE_BYTES / 1024 / 1024} MiB`,
  })
}

/**
 * Refuses, before the body is read, another content type (415; OpenCode 2.1 answers it in plain
 * text, this server in its one JSON error shape) and a declared length over the limit.
 */
async function checkBody(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== OCTET_STREAM) {
    await reply.code(415).send({
      _tag: 'UnsupportedMediaTypeError',
      message: `Unsupported content-type: ${type || '(none)'}; send the file as ${OCTET_STREAM}`,
    })
    return
  }
  if (Number(request.headers['content-length'] ?? 0) > MAX_WRITE_BYTES) await tooLarge(reply)
}

/**
 * `POST /api/experimental/fs/write?path=` (OpenCode 2.1's `experimental.fs.write`): the raw body
 * (`application/octet-stream`) becomes the file at `path` (relative to the location, or absolute),
 * parents created. Unlike OpenCode, the target must lie inside the project (403 otherwise).
 */
export async function registerFsWriteRoute(app: PluginApp, service: FileService): Promise<void> {
  // Its own scope: the octet-stream parser serves this route only.
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      OCTET_STREAM,
      { parseAs: 'buffer', bodyLimit: MAX_WRITE_BYTES },
      (_request, body, done) => done(null, body),
    )
    scope.withTypeProvider<TypeBoxTypeProvider>().post(
      '/api/experimental/fs/write',
      {
        config: { v2: true, location: true },
        bodyLimit: MAX_WRITE_BYTES,
        onRequest: checkBody,
        errorHandler: (error: FastifyError, request, reply) => {
          if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return tooLarge(reply)
          return app.errorHandler(error, request, reply)
        },
        schema: {
          operationId: 'experimental.fs.write',
          tags: ['filesystem'],
          summary: 'Write file',
          description: `Writes the raw \`${OCTET_STREAM}\` body (at most ${MAX_WRITE_BYTES / 1024 / 1024} MiB) to \`path\` (relative to the location, or absolute), creating missing parent directories; answers the absolute path. The target must be inside the project (403). Other content types: 415. Experimental.`,
          querystring: Type.Object({ ...LocationQuery, path: Type.String({ minLength: 1, maxLength: 4096 }) }),
          response: {
            200: PublicLocationEnvelope(Type.Object({ path: Type.String() }, { additionalProperties: false })),
            ...v2Errors({ 403: ref(V2ErrorBody), 413: ref(V2ErrorBody), 415: ref(V2ErrorBody) }),
          },
        },
      },
      async (request) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
        const path = await service.write(request.instance, request.query.path, body)
        return publicLocationEnvelope(request, { path })
      },
    )
  })
}
