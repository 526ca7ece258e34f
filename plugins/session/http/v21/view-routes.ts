// OpenCode 2.1's `POST /api/session/:id/view {idle}`: a client saw the end of the session's last
// run: 2.1's `time.viewed`, kept in its own table (`session_viewed`) since v1's lists send the
// stored session JSON as it is and 1.18's `Session.time` has no such field.
import { Type } from 'typebox'
import type { PluginApp, SqliteDatabase } from '../../../../sdk/index.js'
import type { SessionKernel } from '../../index.js'
import { sessionInstance } from '../../store/locate.js'
import { routeTags as tags, routeConfig as config, SessionParams, sessionNotFound } from '../v2/route-defaults.js'
import type { SessionV2Deps } from '../v2/routes.js'
import { Viewed } from './manage-events.js'

/** When each session's last run was seen. */
export class ViewedTimes {
  private readonly statements

  constructor(db: SqliteDatabase) {
    this.statements = {
      get: db.prepare<[string], { viewed: number }>('SELECT viewed FROM session_viewed WHERE session_id = ?'),
      set: db.prepare<[string, number]>(
        'INSERT INTO session_viewed (session_id, viewed) VALUES (?, ?) ON CONFLICT (session_id) DO UPDATE SET viewed = excluded.viewed',
      ),
    }
  }

  get(sessionID: string): number | undefined {
    return this.statements.get.get(sessionID)?.viewed
  }

  set(sessionID: string, viewed: number): void {
    this.statements.set.run(sessionID, viewed)
  }
}

/** The kernel's one `ViewedTimes` (its statements prepared once). */
export function viewedTimes(kernel: Pick<SessionKernel, 'keep' | 'storage'>): ViewedTimes {
  return kernel.keep('session.viewed', () => new ViewedTimes(kernel.storage.db))
}

export function registerSessionViewRoute(app: PluginApp, deps: SessionV2Deps): void {
  app.post(
    '/api/session/:sessionID/view',
    {
      config,
      schema: {
        operationId: 'session.view',
        tags,
        summary: 'Mark a run seen',
        description:
          "When `idle` is the session's `time.idle` (the end of its last run), sets `time.viewed` and publishes `session.viewed`; otherwise nothing changes (the client saw an older run).",
        params: SessionParams,
        body: Type.Object({ idle: Type.Number({ minimum: 0 }) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...sessionNotFound },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      const { instance } = await sessionInstance(deps.kernel, deps.sessions.store, sessionID)
      const { idle } = request.body
      if (deps.entries.lastIdle(sessionID)?.time.created !== idle) return reply.code(204).send(null)
      viewedTimes(deps.kernel).set(sessionID, Date.now())
      deps.kernel.publish(instance, Viewed, { timestamp: Date.now(), sessionID, idle })
      return reply.code(204).send(null)
    },
  )
}
