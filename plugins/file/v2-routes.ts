import {
  LocationQuery,
  PublicLocationEnvelope,
  StringEnum,
  V2ErrorBody,
  publicLocationEnvelope,
  ref,
  v2Errors,
  type PluginApp,
} from '../../sdk/index.js'
import { Type } from 'typebox'
import { FileNotFoundErrorBody, asFileNotFound } from './errors.js'
import { FileSystemEntry } from './schemas.js'
import type { FileService } from './service.js'
import { registerFsReadRoute } from './v2-read-route.js'
import { registerFsWriteRoute } from './v2-write-route.js'

const tags = ['filesystem']

/**
 * OpenCode 2.1's filesystem routes (`fs.read`, `fs.list`, `fs.find`, `experimental.fs.write`):
 * the same files, confinement and index as `/file` and `/find/file`. Unlike OpenCode 2.1, nothing
 * outside the project is listed or written (403).
 */
export async function registerFileV2Routes(app: PluginApp, service: FileService): Promise<void> {
  registerFsReadRoute(app, service)
  registerFsListRoutes(app, service)
  await registerFsWriteRoute(app, service)
}

/** `GET /api/fs/list` and `/api/fs/find`: directory listings and fuzzy name search. */
function registerFsListRoutes(app: PluginApp, service: FileService): void {
  app.get(
    '/api/fs/list',
    {
      config: { v2: true, location: true },
      schema: {
        operationId: 'fs.list',
        tags,
        summary: 'List directory',
        description:
          'Direct children of one directory of the project (`path` relative to the location, or absolute; default the location): directories first (ending in `/`), each group by name, paths relative to the location. 403 outside the project, 404 `FileNotFoundError` when no directory is there.',
        querystring: Type.Object({ ...LocationQuery, path: Type.Optional(Type.String({ maxLength: 4096 })) }),
        response: {
          200: PublicLocationEnvelope(Type.Array(ref(FileSystemEntry))),
          ...v2Errors({ 403: ref(V2ErrorBody), 404: ref(FileNotFoundErrorBody) }),
        },
      },
    },
    async (request) => {
      const path = request.query.path || '.'
      const nodes = await service.list(request.instance, path, { all: true }).catch((error: unknown) => {
        throw asFileNotFound(error, path, 'directory')
      })
      const entries = nodes.map((node) => ({
        path: node.type === 'directory' ? `${node.path}/` : node.path,
        type: node.type,
      }))
      return publicLocationEnvelope(request, entries)
    },
  )

  app.get(
    '/api/fs/find',
    {
      config: { v2: true, location: true },
      schema: {
        operationId: 'fs.find',
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
        response: { 200: PublicLocationEnvelope(Type.Array(ref(FileSystemEntry))), ...v2Errors() },
      },
    },
    async (request) => {
      const { query, type, limit } = request.query
      const paths = await service.findFiles(request.instance, { query, ...(type ? { type } : {}), limit: limit ?? 50 })
      return publicLocationEnvelope(
        request,
        paths.map((path) => ({ path, type: path.endsWith('/') ? ('directory' as const) : ('file' as const) })),
      )
    },
  )
}
