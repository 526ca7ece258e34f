import {
  BadRequestErrorBody,
  ErrorBody,
  InstanceQuery,
  NotFoundErrorBody,
  ref,
  type PluginApp,
} from '../../sdk/index.js'
import type {} from '../lsp/types.js' // app.lsp, when the lsp plugin runs
import { Type } from 'typebox'
import {
  FileContent,
  FileInfo,
  FileNode,
  FilePathQuery,
  FindFilesQuery,
  FindMatch,
  FindSymbolsQuery,
  FindTextQuery,
  LspSymbol,
} from './schemas.js'
import type { FileService } from './service.js'

const tags = ['file']
const invalid = { 400: ref(BadRequestErrorBody) }
/** Routes that take a `path`: 403 when it leads out of the project, 404 when it does not exist. */
const pathErrors = { ...invalid, 403: ref(ErrorBody), 404: ref(NotFoundErrorBody) }

export function registerFileRoutes(app: PluginApp, service: FileService): void {
  registerFindRoutes(app, service)
  registerFileReadRoutes(app, service)
}

/** `GET /find`, `/find/file`, `/find/symbol`: text, name and symbol search. */
function registerFindRoutes(app: PluginApp, service: FileService): void {
  app.get(
    '/find',
    {
      schema: {
        operationId: 'find.text',
        tags,
        summary: 'Find text',
        description:
          'Lines matching a regular expression in the files `.gitignore` keeps, as ripgrep match objects; at most 100.',
        querystring: FindTextQuery,
        response: { 200: Type.Array(ref(FindMatch)), ...invalid },
      },
    },
    async (request, reply) => {
      const { pattern } = request.query
      // A client that goes away stops the search.
      const controller = new AbortController()
      const onClose = () => {
        if (!reply.raw.writableFinished) controller.abort()
      }
      reply.raw.once('close', onClose)
      try {
        return await service.findText(request.instance, pattern, controller.signal)
      } finally {
        reply.raw.off('close', onClose)
      }
    },
  )

  app.get(
    '/find/file',
    {
      schema: {
        operationId: 'find.files',
        tags,
        summary: 'Find files',
        description:
          'Files and directories (ending in `/`) whose path fuzzily matches `query`, best first, relative to the directory.',
        querystring: FindFilesQuery,
        response: { 200: Type.Array(Type.String()), ...invalid },
      },
    },
    async (request) => service.findFiles(request.instance, request.query),
  )

  app.get(
    '/find/symbol',
    {
      schema: {
        operationId: 'find.symbols',
        tags,
        summary: 'Find symbols',
        description:
          'Workspace symbols matching `query` from the language servers running for this directory (plugin `lsp`; they start when a file they handle is edited). `[]` when none runs.',
        querystring: FindSymbolsQuery,
        response: { 200: Type.Array(ref(LspSymbol)), ...invalid },
      },
    },
    async (request) => {
      if (!app.hasDecorator('lsp')) return []
      const { query } = request.query
      // The response schema keeps the fields of OpenCode's `Symbol`.
      return app.lsp.workspaceSymbols(request.instance, query ?? '')
    },
  )
}

/** `GET /file`, `/file/content`, `/file/status`: listings, contents and git status. */
function registerFileReadRoutes(app: PluginApp, service: FileService): void {
  app.get(
    '/file',
    {
      schema: {
        operationId: 'file.list',
        tags,
        summary: 'List files',
        description: 'The entries of a directory of the project (`path` relative to the directory), directories first.',
        querystring: FilePathQuery,
        response: { 200: Type.Array(ref(FileNode)), ...pathErrors },
      },
    },
    async (request) => service.list(request.instance, request.query.path),
  )

  app.get(
    '/file/content',
    {
      schema: {
        operationId: 'file.read',
        tags,
        summary: 'Read file',
        description:
          'Text, or base64 with a MIME type for binary files (at most 10 MB). A text file that differs from HEAD also gets `diff` and `patch`.',
        querystring: FilePathQuery,
        response: { 200: ref(FileContent), ...pathErrors },
      },
    },
    async (request) => service.read(request.instance, request.query.path),
  )

  app.get(
    '/file/status',
    {
      schema: {
        operationId: 'file.status',
        tags,
        summary: 'Get file status',
        description: 'Files changed against HEAD with added and removed line counts; `[]` outside git.',
        querystring: Type.Object(InstanceQuery),
        response: { 200: Type.Array(ref(FileInfo)) },
      },
    },
    async (request) => service.status(request.instance),
  )
}
