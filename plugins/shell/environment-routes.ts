// `PUT /api/session/{sessionID}/environment` (OpenCode 2.1's `session.environment`): the variables
// a session's shells run with. Served here, beside the shells that use it.
import { Type } from 'typebox'
import { TaggedError, v2Errors, type PluginApp } from '../../sdk/index.js'
import type { SessionEnvironments } from './environments.js'
import { SessionEnvironmentInput, SessionNotFoundBody } from './schemas.js'

const SessionParams = Type.Object({ sessionID: Type.String({ pattern: '^ses', maxLength: 100 }) })

export function registerEnvironmentRoutes(app: PluginApp, environments: SessionEnvironments): void {
  app.put(
    '/api/session/:sessionID/environment',
    {
      // Tagged errors; the instance is the session's, not the request's.
      config: { v2: true, instance: false },
      schema: {
        operationId: 'session.environment',
        tags: ['session'],
        summary: 'Set session environment',
        description:
          "Replaces the environment of the session's shell commands (`POST /api/session/{id}/shell`, shells started " +
          "for it): they then run with these variables instead of the server's. Kept in memory, not across restarts.",
        params: SessionParams,
        body: SessionEnvironmentInput,
        response: { 204: Type.Null(), ...v2Errors({ 404: SessionNotFoundBody }) },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      if (!app.hasDecorator('sessions'))
        throw new TaggedError('SessionNotFoundError', 404, `Session not found: ${sessionID}`, { sessionID })
      // The session's instance: on a cluster the request goes on to the server running it.
      await app.sessions.locate(sessionID)
      environments.set(sessionID, request.body.variables)
      return reply.status(204).send(null)
    },
  )
}
