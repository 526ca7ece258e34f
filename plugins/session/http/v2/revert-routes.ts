import type { FastifyReply } from 'fastify'
// v2 revert staging routes (`/api/session/:id/revert/{stage,clear,commit}`); the staging itself is revert.ts.
import { Type } from 'typebox'
import { DataEnvelope, V2ErrorBody, ref, v2Errors, type PluginApp } from '../../../../sdk/index.js'
import type { RevertStaging } from './revert.js'
import { routeTags as tags, routeConfig as config, SessionParams } from './route-defaults.js'
import { MessageNotFoundErrorBody, RevertState, SessionNotFoundErrorBody } from './schemas.js'

const StageInput = Type.Object(
  { messageID: Type.String({ pattern: '^msg_', maxLength: 100 }), files: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
)
// 409 SessionBusyError `{_tag, sessionID, message}` while a turn, shell command or summary runs.
const busy = { 409: ref(V2ErrorBody) }

/** `POST /api/session/:sessionID/revert/stage`, `…/clear` and `…/commit`. */
export function registerSessionRevertRoutes(app: PluginApp, staging: RevertStaging): void {
  app.post(
    '/api/session/:sessionID/revert/stage',
    {
      config,
      schema: {
        operationId: 'session.revert.stage',
        tags,
        summary: 'Stage session revert',
        description:
          'Stages (or moves) a revert boundary: the files that assistant messages after `messageID` changed go back to how they were before (unless `files: false`). Messages stay until commit; a prompt does not commit it. 409 SessionBusyError while busy.',
        params: SessionParams,
        body: StageInput,
        response: {
          200: DataEnvelope(ref(RevertState)),
          ...v2Errors({ 404: Type.Union([ref(MessageNotFoundErrorBody), ref(SessionNotFoundErrorBody)]), ...busy }),
        },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const body = request.body
      return {
        data: await staging.oneAtATime(sessionID, () => staging.stage(sessionID, body.messageID, body.files ?? true)),
      }
    },
  )

  // OpenCode 2.1 moved 1.18's `POST …/revert/clear` to `DELETE …/revert`; both are served.
  const clear = {
    config,
    schema: {
      tags,
      summary: 'Clear staged revert',
      description:
        'Puts the files back as they were before the first stage and drops `revert`; nothing staged: 204 without an event. 409 SessionBusyError while busy.',
      params: SessionParams,
      response: { 204: Type.Null(), ...v2Errors({ 404: ref(SessionNotFoundErrorBody), ...busy }) },
    },
  }
  const clearRevert = async (request: { params: { sessionID: string } }, reply: FastifyReply) => {
    const { sessionID } = request.params
    await staging.oneAtATime(sessionID, () => staging.clear(sessionID))
    return reply.code(204).send(null)
  }
  app.delete(
    '/api/session/:sessionID/revert',
    { ...clear, schema: { ...clear.schema, operationId: 'session.revert.clear' } },
    clearRevert,
  )
  app.post(
    '/api/session/:sessionID/revert/clear',
    { ...clear, schema: { ...clear.schema, operationId: 'v2.session.revert.clear' } },
    clearRevert,
  )

  app.post(
    '/api/session/:sessionID/revert/commit',
    {
      config,
      schema: {
        operationId: 'session.revert.commit',
        tags,
        summary: 'Commit staged revert',
        description:
          'Deletes the messages after the boundary (the boundary stays), keeps the files as reverted and drops `revert`; nothing staged: 204 without an event. 409 SessionBusyError while busy.',
        params: SessionParams,
        response: { 204: Type.Null(), ...v2Errors({ 404: ref(SessionNotFoundErrorBody), ...busy }) },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      await staging.oneAtATime(sessionID, () => staging.commit(sessionID))
      return reply.code(204).send(null)
    },
  )
}
