// OpenCode 2.1's `POST /api/session/:id/view {idle}`: a client saw the end of the session's last
// run. Stored as `time.viewed` on the session (v1's answers leave it out: 1.18 had no such field).
import { Type } from 'typebox'
import type { PluginApp } from '../../../../sdk/index.js'
import { sessionInstance } from '../../store/locate.js'
import { routeTags as tags, routeConfig as config, SessionParams, sessionNotFound } from '../v2/route-defaults.js'
import type { SessionV2Deps } from '../v2/routes.js'
import { Viewed } from './manage-events.js'

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
      // Extra to v1's `Session.Info`: kept in the stored session, left out of v1's answers by their schema.
      deps.sessions.update(instance, sessionID, (info) => Object.assign(info.time, { viewed: Date.now() }))
      deps.kernel.publish(instance, Viewed, { timestamp: Date.now(), sessionID, idle })
      return reply.code(204).send(null)
    },
  )
}
