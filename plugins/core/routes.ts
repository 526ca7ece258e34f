import type { CoreKernel } from './index.js'
import { Type } from 'typebox'
import { InstanceQuery, ref, type PluginApp } from '../../sdk/index.js'
import { Health, LogEntry, NodeInfo, Path } from './schemas.js'

export function registerCoreRoutes(app: PluginApp, kernel: CoreKernel): void {
  registerServerInfoRoutes(app, kernel)
  registerExperimentalRoutes(app)
  registerLogRoute(app, kernel)
}

/** `GET /global/health` and `GET /path`: what this server and instance are. */
function registerServerInfoRoutes(app: PluginApp, kernel: CoreKernel): void {
  const version = kernel.version
  app.get(
    '/global/health',
    {
      config: { instance: false },
      schema: {
        operationId: 'global.health',
        tags: ['global'],
        summary: 'Health check',
        response: { 200: ref(Health) },
      },
    },
    async () => ({ healthy: true as const, version }),
  )

  app.get(
    '/global/node',
    {
      config: { instance: false },
      schema: {
        operationId: 'global.node',
        tags: ['global'],
        summary: 'This server in its cluster (opencode-kernel)',
        description:
          'Its node id, URL, backend, the directories it runs and (PostgreSQL) whether the database answers.',
        response: { 200: ref(NodeInfo) },
      },
    },
    async () => kernel.node(),
  )

  app.get(
    '/path',
    {
      schema: {
        operationId: 'path.get',
        tags: ['instance'],
        summary: 'Paths of this instance',
        querystring: Type.Object(InstanceQuery),
        response: { 200: ref(Path) },
      },
    },
    async (request) => ({
      home: kernel.paths.home,
      state: kernel.paths.state,
      config: kernel.paths.config,
      worktree: request.instance.worktree,
      directory: request.instance.directory,
    }),
  )
}

/** What this server offers beyond the core API (capabilities, console), as OpenCode's clients ask. */
function registerExperimentalRoutes(app: PluginApp): void {
  app.get(
    '/experimental/capabilities',
    {
      schema: {
        operationId: 'experimental.capabilities.get',
        tags: ['experimental'],
        summary: 'Optional features this server has',
        description:
          'Subagents can be sent to the background (`POST /experimental/session/:id/background`): `backgroundSubagents: true`.',
        querystring: Type.Object(InstanceQuery),
        response: { 200: Type.Object({ backgroundSubagents: Type.Boolean() }) },
      },
    },
    async () => ({ backgroundSubagents: true }),
  )

  app.get(
    '/experimental/console',
    {
      schema: {
        operationId: 'experimental.console.get',
        tags: ['experimental'],
        summary: 'Providers managed by an OpenCode console account',
        description:
          'None: this server has no console account (`{consoleManagedProviders: [], switchableOrgCount: 0}`).',
        querystring: Type.Object(InstanceQuery),
        response: {
          200: Type.Object({ consoleManagedProviders: Type.Array(Type.String()), switchableOrgCount: Type.Integer() }),
        },
      },
    },
    async () => ({ consoleManagedProviders: [], switchableOrgCount: 0 }),
  )
}

function registerLogRoute(app: PluginApp, kernel: CoreKernel): void {
  app.post(
    '/log',
    {
      schema: {
        operationId: 'app.log',
        tags: ['control'],
        summary: 'Write a client log entry to the server log',
        querystring: Type.Object(InstanceQuery),
        body: LogEntry,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      const entry = request.body
      kernel.log[entry.level](
        { service: entry.service, extra: entry.extra, directory: request.instance.directory },
        entry.message,
      )
      return true
    },
  )
}
