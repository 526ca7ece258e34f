import type { FastifyReply, FastifyRequest } from 'fastify'
import { extname } from 'node:path'
import { Type } from 'typebox'
import { InvalidRequestError, LocationQuery, V2ErrorBody, ref, v2Errors, type PluginApp } from '../../sdk/index.js'
import { contains } from '../../sdk/paths.js'
import { binaryMimeType } from './content.js'
import { FileNotFoundError, FileNotFoundErrorBody, asFileNotFound } from './errors.js'
import type { OpenedFile } from './raw-files.js'
import type { FileService } from './service.js'

const TEXT_TYPES: Record<string, string> = { '.md': 'text/markdown', '.json': 'application/json' }
const SNIFF_BYTES = 8192

/** A weak validator from size and modification time, as OpenCode 2.1 (and `send`) make it. */
export function entityTag(size: number, mtime: Date): string {
  return `W/"${size.toString(16)}-${Math.floor(mtime.getTime()).toString(16)}"`
}

/** True when the client's copy is current: `If-None-Match` names the tag (or `*`), else `If-Modified-Since` is not older. */
export function notModified(request: FastifyRequest, etag: string, mtime: Date): boolean {
  const match = request.headers['if-none-match']
  if (typeof match === 'string') {
    const weak = (tag: string) => tag.trim().replace(/^W\//, '')
    return match.split(',').some((tag) => tag.trim() === '*' || weak(tag) === weak(etag))
  }
  const since = request.headers['if-modified-since']
  if (typeof since !== 'string') return false
  const date = Date.parse(since)
  return !Number.isNaN(date) && Math.floor(mtime.getTime() / 1000) * 1000 <= date
}

/**
 * The one byte range `Range` asks for (inclusive), `unsatisfiable`, or undefined to send the
 * whole file: no header, several ranges, a malformed one, or an `If-Range` that no longer matches.
 */
export function requestedRange(
  request: FastifyRequest,
  size: number,
  etag: string,
  lastModified: string,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const header = request.headers.range
  if (typeof header !== 'string') return undefined
  const ifRange = request.headers['if-range']
  if (typeof ifRange === 'string' && ifRange !== etag && ifRange !== lastModified) return undefined
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match || (match[1] === '' && match[2] === '')) return undefined
  const [first, last] = [match[1]!, match[2]!]
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (last !== '' && Number(last) < start) return undefined
  if (start >= size) return 'unsatisfiable'
  return { start, end }
}

/** The content type from the first bytes: UTF-8 without NUL is text, the rest by extension. */
async function contentType(file: OpenedFile): Promise<string> {
  const head = Buffer.alloc(Math.min(SNIFF_BYTES, file.size))
  const { bytesRead } = await file.handle.read(head, 0, head.length, 0)
  const sample = head.subarray(0, bytesRead)
  let text = !sample.includes(0)
  if (text) {
    try {
      // `stream`: a character cut at the end of the sample is not an error.
      new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true })
    } catch {
      text = false
    }
  }
  return text
    ? (TEXT_TYPES[extname(file.real).toLowerCase()] ?? 'text/plain') + '; charset=utf-8'
    : binaryMimeType(file.real)
}

/** The path the wildcard names: an absolute path inside the location lost its leading slash in the URL. */
function wildcardPath(request: FastifyRequest<{ Params: { '*': string } }>): string {
  const given = request.params['*']
  if (!given) throw new FileNotFoundError('')
  if (given.length > 4096)
    throw new InvalidRequestError('path must be at most 4096 characters', { kind: 'Params', field: 'path' })
  const absolute = `/${given}`
  const { directory, worktree } = request.instance
  return contains(directory, absolute) || contains(worktree, absolute) ? absolute : given
}

/** Answers with the file (or the range asked for) as a stream that closes the file when done. */
async function sendFile(request: FastifyRequest, reply: FastifyReply, file: OpenedFile): Promise<FastifyReply> {
  const etag = entityTag(file.size, file.mtime)
  const lastModified = file.mtime.toUTCString()
  reply
    .header('cache-control', 'no-cache, no-transform')
    .header('etag', etag)
    .header('last-modified', lastModified)
    .header('accept-ranges', 'bytes')
  if (notModified(request, etag, file.mtime)) {
    await file.handle.close()
    return reply.code(304).send()
  }
  const range = requestedRange(request, file.size, etag, lastModified)
  if (range === 'unsatisfiable') {
    await file.handle.close()
    return reply.code(416).header('content-range', `bytes */${file.size}`).send()
  }
  reply
    .header('content-type', await contentType(file))
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
  const { start, end } = range ?? { start: 0, end: file.size - 1 }
  if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${file.size}`)
  reply.header('content-length', String(Math.max(0, end - start + 1)))
  if (file.size === 0) {
    await file.handle.close()
    return reply.send(Buffer.alloc(0))
  }
  return reply.send(file.handle.createReadStream({ start, end }))
}

/**
 * `GET /api/fs/read/*` (OpenCode 2.1's `fs.read`): one file of the project as raw bytes, with
 * `ETag`/`Last-Modified`, 304 on a current `If-None-Match`/`If-Modified-Since`, and one `Range`
 * (206, or 416). Served inert (no sniffing, sandboxed), since the web app shares this origin.
 */
export function registerFsReadRoute(app: PluginApp, service: FileService): void {
  // The wildcard has no params schema, so its type is declared here.
  app.get<{ Params: { '*': string } }>(
    '/api/fs/read/*',
    {
      config: { v2: true, location: true },
      schema: {
        operationId: 'fs.read',
        tags: ['filesystem'],
        summary: 'Read file',
        description:
          'The raw bytes of one file of the project (a path relative to the location, or absolute inside it), with `ETag`, `Last-Modified`, 304, and single-range `Range` support (206, 416; several ranges or a malformed one: 200). 403 outside the project, 404 `FileNotFoundError` when no file is there.',
        querystring: Type.Object(LocationQuery),
        response: v2Errors({ 403: ref(V2ErrorBody), 404: ref(FileNotFoundErrorBody) }),
      },
    },
    async (request, reply) => {
      const path = wildcardPath(request)
      let file: OpenedFile
      try {
        file = await service.open(request.instance, path)
      } catch (error) {
        throw asFileNotFound(error, request.params['*'], 'file')
      }
      try {
        return await sendFile(request, reply, file)
      } catch (error) {
        await file.handle.close().catch(() => {})
        throw error
      }
    },
  )
}
