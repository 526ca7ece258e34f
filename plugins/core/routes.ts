import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Kernel } from '../../kernel/plugin.js'
import { InstanceQuery, ref } from '../../kernel/schemas.js'
import { Health, LogEntry, Path } from './schemas.js'

export function registerCoreRoutes(app: FastifyInstance, kernel: Kernel): void {
  const health = { healthy: true as const, version: kernel.version }
  app.get(
    '/global/health',
    {
      config: { instance: false },
      schema: { operationId: 'global.health', tags: ['global'], summary: 'Health check', response: { 200: ref(Health) } },
    },
    async () => health,
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
      const entry = request.body as LogEntry
      kernel.log[entry.level]({ service: entry.service, extra: entry.extra, directory: request.instance.directory }, entry.message)
      return true
    },
  )
}
