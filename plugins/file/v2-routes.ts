import {
  InvalidRequestError,
  LocationEnvelope,
  LocationQuery,
  NotFoundError,
  StringEnum,
  V2ErrorBody,
  locationEnvelope,
  ref,
  v2Errors,
  type PluginApp,
} from '../../sdk/index.js'
import { extname } from 'node:path'
import { Type } from 'typebox'
import { contains } from '../../sdk/paths.js'
import { binaryMimeType, decodeText } from './content.js'
import { FileSystemEntry } from './schemas.js'
import type { FileService } from './service.js'

const tags = ['filesystem']
const pathErrors = v2Errors({ 403: ref(V2ErrorBody), 404: ref(V2ErrorBody) })
const TEXT_TYPES: Record<string, string> = { '.md': 'text/markdown', '.json': 'application/json' }

/**
 * `GET /api/fs/read/*`, `/api/fs/list`, `/api/fs/find`: the same files, confinement and index as
 * `/file` and `/find/file`, in v2 shapes. Files are served inert (no sniffing, sandboxed), since
 * the web app shares this origin.
 */
export function registerFileV2Routes(app: PluginApp, service: FileService): void {
  registerFsReadRoute(app, service)
  registerFsListRoutes(app, service)
}

function registerFsReadRoute(app: PluginApp, service: FileService): void {
  // The wildcard has no params schema, so its type is declared here.
  app.get<{ Params: { '*': string } }>(
    '/api/fs/read/*',
    {
      config: { v2: true, location: true },
      schema: {
        operationId: 'v2.fs.read',
        tags,
        summary: 'Read file',
        description:
          'The raw bytes of one file of the location (a path relative to it, or absolute inside it). 403 outside the project, 404 missing.',
        querystring: Type.Object(LocationQuery),
        response: { ...pathErrors },
      },
    },
    async (request, reply) => {
      const given = request.params['*']
      if (!given) throw new NotFoundError('File not found: (empty path)')
      if (given.length > 4096)
        throw new InvalidRequestError('path must be at most 4096 characters', { kind: 'Params', field: 'path' })
      // The wildcard drops an absolute path's leading slash: take it back when that names the location.
      const absolute = `/${given}`
      const path =
        contains(request.instance.directory, absolute) || contains(request.instance.worktree, absolute)
          ? absolute
          : given
      const { bytes, real } = await service.readBytes(request.instance, path)
      const text = decodeText(bytes) !== undefined
      const type = text
        ? (TEXT_TYPES[extname(real).toLowerCase()] ?? 'text/plain') + '; charset=utf-8'
        : binaryMimeType(real)
      reply
        .header('content-type', type)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
      return reply.send(bytes)
    },
  )
}

/** `GET /api/fs/list` and `/api/fs/find`: directory listings and fuzzy name search. */
function registerFsListRoutes(app: PluginApp, service: FileService): void {
  app.get(
    '/api/fs/list',
    {
      config: { v2: true, location: true },
      schema: {
        operationId: 'v2.fs.list',
        tags,
        summary: 'List directory',
        description:
          'Direct children of one directory of the location: directories first (ending in `/`), each group by name.',
        querystring: Type.Object({ ...LocationQuery, path: Type.Optional(Type.String({ maxLength: 4096 })) }),
        response: { 200: LocationEnvelope(Type.Array(ref(FileSystemEntry))), ...pathErrors },
      },
    },
    async (request) => {
      const { path } = request.query
      const nodes = await service.list(request.instance, path || '.')
      const entries = nodes.map((node) => ({
        path: node.type === 'directory' ? `${node.path}/` : node.path,
        type: node.type,
      }))
      return locationEnvelope(request, entries)
    },
  )

  app.get(
    '/api/fs/find',
    {
      config: { v2: true, location: true },
      schema: {
        operationId: 'v2.fs.find',
        tags,
        summary: 'Find files',
        description:
          'Files and directories of the location whose path fuzzily matches `query` (may be empty), best first; `.gitignore` applies.',
        querystring: Type.Object({
          ...LocationQuery,
          query: Type.String({ maxLength: 1000 }),
          type: Type.Optional(StringEnum(['file', 'directory'])),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
        response: { 200: LocationEnvelope(Type.Array(ref(FileSystemEntry))), ...v2Errors() },
      },
    },
    async (request) => {
      const { query, type, limit } = request.query
      const paths = await service.findFiles(request.instance, { query, ...(type ? { type } : {}), limit: limit ?? 50 })
      return locationEnvelope(
        request,
        paths.map((path) => ({ path, type: path.endsWith('/') ? ('directory' as const) : ('file' as const) })),
      )
    },
  )
}
