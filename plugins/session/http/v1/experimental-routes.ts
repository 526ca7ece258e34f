// OpenCode's experimental session routes: every project's sessions in one list, and detaching
// the subagents a session waits on so they continue in the background.
import { Type } from 'typebox'
import { InstanceQuery, ref, registerSchemas, type PluginApp } from '../../../../sdk/index.js'
import type {} from '../../../project/types.js' // app.projects, when the project plugin runs
import type { BlockingSubagents } from '../../loop/blocking-subagents.js'
import type { SessionStore } from '../../store/store.js'
import { sendSerialised } from '../serialised-json.js'
import { GlobalSession, GlobalSessionQuery, ProjectSummary, SessionParams } from './schemas.js'

export function registerGlobalSessionRoutes(app: PluginApp, store: SessionStore, subagents: BlockingSubagents): void {
  registerSchemas(app, [ProjectSummary, GlobalSession])
  registerGlobalListRoute(app, store)
  registerBackgroundRoute(app, subagents)
}

/** `{id, name?, worktree}` of a project as JSON (`null` when not recorded), each one made once. */
function projectSummaries(app: PluginApp): (projectID: string) => string {
  const summaries = new Map<string, string>()
  return (projectID) => {
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
}

/** `GET /experimental/session`. */
function registerGlobalListRoute(app: PluginApp, store: SessionStore): void {
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
      const query = request.query
      const limit = query.limit ?? 100
      const rows = store.listGlobalSessions({
        roots: query.roots,
        start: query.start,
        cursor: query.cursor,
        search: query.search,
        archived: query.archived,
        limit,
      })
      const summary = projectSummaries(app)
      // The stored JSON goes out as it is, with `project` added before its closing brace.
      const body = `[${rows.map((row) => `${row.data.slice(0, row.data.lastIndexOf('}'))},"project":${summary(row.projectID)}}`).join(',')}]`
      if (rows.length === limit) reply.header('x-next-cursor', String(rows.at(-1)!.updated))
      return sendSerialised(reply.type('application/json; charset=utf-8'), body)
    },
  )
}

/** `POST /experimental/session/:sessionID/background`. */
function registerBackgroundRoute(app: PluginApp, subagents: BlockingSubagents): void {
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
    async (request) => subagents.detach(request.instance, request.params.sessionID),
  )
}
