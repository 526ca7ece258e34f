// OpenCode's experimental session routes: every project's sessions in one list, and detaching
// the subagents a session waits on so they continue in the background.
import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import { InstanceQuery, named, ref, registerSchemas, type Instance } from '../../../../sdk/index.js'
import type {} from '../../../project/types.js' // app.projects, when the project plugin runs
import { SessionInfo, SessionParams } from '../../schemas.js'
import type { SessionStore } from '../../store/store.js'

export const ProjectSummary = named(
  'ProjectSummary',
  Type.Object(
    { id: Type.String(), name: Type.Optional(Type.String()), worktree: Type.String() },
    { additionalProperties: false },
  ),
)

/** A session with the project it belongs to (`null` when that project is not recorded). */
export const GlobalSession = named(
  'GlobalSession',
  Type.Unsafe<unknown>({
    allOf: [ref(SessionInfo), Type.Object({ project: Type.Union([ref(ProjectSummary), Type.Null()]) })],
  }),
)

const GlobalSessionQuery = Type.Object({
  ...InstanceQuery,
  roots: Type.Optional(Type.Boolean({ description: 'Only sessions without a parent' })),
  start: Type.Optional(Type.Number({ minimum: 0, description: 'Only sessions updated at or after this time (ms)' })),
  cursor: Type.Optional(
    Type.Number({ minimum: 0, description: 'The `x-next-cursor` of the previous page: sessions updated before it' }),
  ),
  search: Type.Optional(Type.String({ maxLength: 1000, description: 'Part of the title' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Default 100' })),
  archived: Type.Optional(Type.Boolean({ description: 'Archived sessions too (left out by default)' })),
})

/** Per instance: the task-tool calls each session is blocked on, by the function that detaches one. */
export class BlockingSubagents {
  private calls(instance: Instance): Map<string, Set<() => void>> {
    return instance.state('session.blocking-subagents', () => new Map<string, Set<() => void>>())
  }

  add(instance: Instance, sessionID: string, detach: () => void): () => void {
    const calls = this.calls(instance)
    let waiting = calls.get(sessionID)
    if (!waiting) calls.set(sessionID, (waiting = new Set()))
    waiting.add(detach)
    return () => {
      waiting.delete(detach)
      if (waiting.size === 0 && calls.get(sessionID) === waiting) calls.delete(sessionID)
    }
  }

  /** Detaches every call `sessionID` waits on; false when there was none. */
  detach(instance: Instance, sessionID: string): boolean {
    const waiting = this.calls(instance).get(sessionID)
    if (!waiting?.size) return false
    for (const detach of [...waiting]) detach()
    return true
  }
}

export function registerGlobalSessionRoutes(
  app: FastifyInstance,
  store: SessionStore,
  subagents: BlockingSubagents,
): void {
  registerSchemas(app, [ProjectSummary, GlobalSession])

  app.get(
    '/experimental/session',
    {
      schema: {
        operationId: 'experimental.session.list',
        tags: ['experimental'],
        summary: 'List sessions',
        description:
          "Every project's sessions, most recently updated first, each with its `project` (`{id, name?, worktree}`). Archived sessions are left out unless `archived=true`. " +
          'A full page carries the header `x-next-cursor`: send it back as `cursor` for the next one.',
        querystring: GlobalSessionQuery,
        response: { 200: Type.Array(ref(GlobalSession)) },
      },
    },
    async (request, reply) => {
      const query = request.query as Static<typeof GlobalSessionQuery>
      const limit = query.limit ?? 100
      const rows = store.listGlobalSessions({
        roots: query.roots,
        start: query.start,
        cursor: query.cursor,
        search: query.search,
        archived: query.archived,
        limit,
      })
      const summaries = new Map<string, string>()
      const summary = (projectID: string): string => {
        let json = summaries.get(projectID)
        if (json === undefined) {
          const project = app.hasDecorator('projects') ? app.projects.get(projectID) : undefined
          json = JSON.stringify(
            project
              ? {
                  id: project.id,
                  ...(project.name !== undefined ? { name: project.name } : {}),
                  worktree: project.worktree,
                }
              : null,
          )
          summaries.set(projectID, json)
        }
        return json
      }
      // The stored JSON goes out as it is, with `project` added before its closing brace.
      const body = `[${rows.map((row) => `${row.data.slice(0, row.data.lastIndexOf('}'))},"project":${summary(row.projectID)}}`).join(',')}]`
      if (rows.length === limit) reply.header('x-next-cursor', String(rows.at(-1)!.updated))
      return reply.type('application/json; charset=utf-8').send(body)
    },
  )

  app.post(
    '/experimental/session/:sessionID/background',
    {
      schema: {
        operationId: 'experimental.session.background',
        tags: ['experimental'],
        summary: 'Background subagents',
        description:
          'Detaches the subagents (`task` tool calls) the session is waiting on: each call returns at once with its `task_id`, the turn goes on, and the subagent keeps running in its child session. `false` when none is running (also for an unknown session).',
        querystring: Type.Object(InstanceQuery),
        params: SessionParams,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => subagents.detach(request.instance, (request.params as Static<typeof SessionParams>).sessionID),
  )
}
