import { Type } from 'typebox'
import {
  LocationNotFoundErrorBody,
  LocationQuery,
  locationWorkspace,
  ref,
  v2Errors,
  type PluginApp,
} from '../../sdk/index.js'
import type { CoreKernel } from './index.js'
import { canonicalDirectory } from './location.js'
import { LocationPublicInfo, MigrationStatus, ServerInfo } from './schemas.js'
import { OPENCODE_API_VERSION, serverTmpDirectory, serverUrls } from './server-info.js'

/** OpenCode 2.1's server and location routes: `GET /api/info`, `GET /api/location`, the v1 migration status. */
export function registerCoreV21Routes(app: PluginApp, kernel: CoreKernel): void {
  app.get(
    '/api/info',
    {
      config: { instance: false, v2: true },
      schema: {
        operationId: 'server.info',
        tags: ['server'],
        summary: 'Get server info',
        description: `The server's identity and connection URLs. \`version\` is the OpenCode release whose API this server serves (${OPENCODE_API_VERSION}: OpenCode's CLI warns about any other); this server's own version is in the \`x-opencode-kernel-version\` header and \`GET /global/health\`.`,
        response: { 200: ref(ServerInfo), ...v2Errors() },
      },
    },
    async (_request, reply) => {
      reply.header('x-opencode-kernel-version', kernel.version)
      return {
        version: OPENCODE_API_VERSION,
        pid: process.pid,
        urls: serverUrls(kernel.node().url),
        paths: { tmp: await serverTmpDirectory() },
        capabilities: { persistentPty: true },
      }
    },
  )

  app.get(
    '/api/location',
    {
      config: { v2: true, location: true },
      schema: {
        operationId: 'location.get',
        tags: ['location'],
        summary: 'Get location',
        description:
          'The requested location (`location[directory]`, else `x-opencode-directory`, else the server cwd) with its project: `directory` its worktree, `canonical` the repository’s main worktree. `workspaceID` only when the request named a workspace (OpenCode 1.18’s `location[workspace]`).',
        querystring: Type.Object(LocationQuery),
        response: { 200: ref(LocationPublicInfo), ...v2Errors({ 404: ref(LocationNotFoundErrorBody) }) },
      },
    },
    async (request) => {
      const { instance } = request
      const workspaceID = locationWorkspace(request)
      return {
        directory: instance.directory,
        ...(workspaceID ? { workspaceID } : {}),
        project: {
          id: instance.project.id,
          directory: instance.worktree,
          canonical: await canonicalDirectory(instance),
        },
      }
    },
  )

  app.get(
    '/api/experimental/migration/v1',
    {
      config: { instance: false, v2: true },
      schema: {
        operationId: 'experimental.migration.v1.status',
        tags: ['migration'],
        summary: 'Get V1 migration status',
        description:
          'Always `completed`: v1, OpenCode 1.18’s and 2.1’s API read and write the same sessions here, so there is no history to migrate.',
        response: { 200: MigrationStatus, ...v2Errors() },
      },
    },
    async () => ({ status: 'completed' as const }),
  )
}
