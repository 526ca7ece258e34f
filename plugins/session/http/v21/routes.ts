// OpenCode 2.1's session routes that 1.18 did not have: waiting for a run to end
// (`/api/experimental/session/:id/wait`) and the inbox of pending inputs.
import { Type } from 'typebox'
import { ConflictErrorBody, StringEnum, TaggedError, ref, v2Errors, type PluginApp } from '../../../../sdk/index.js'
import { loopOf } from '../v2/prompt-routes.js'
import { routeTags as tags, routeConfig as config, SessionParams, sessionNotFound } from '../v2/route-defaults.js'
import type { SessionV2Deps } from '../v2/routes.js'
import { SessionNotFoundErrorBody } from '../v2/schemas.js'
import { Session21InboxItem } from './schemas.js'

const InboxParams = Type.Object({
  sessionID: SessionParams.properties.sessionID,
  inboxID: Type.String({ pattern: '^msg_', maxLength: 100 }),
})

/** `POST /api/experimental/session/:sessionID/wait`: 204 once the session is idle. */
export function registerWaitRoute(app: PluginApp, deps: SessionV2Deps): void {
  app.post(
    '/api/experimental/session/:sessionID/wait',
    {
      config,
      schema: {
        operationId: 'experimental.session.wait',
        tags,
        summary: 'Wait for session',
        description:
          "Answers 204 when the session's loop is idle: at once when it is, else when its run ends (or the client hangs up).",
        params: SessionParams,
        response: { 204: Type.Null(), ...sessionNotFound },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      const instance = await loopOf(deps, sessionID)
      const gone = new Promise<void>((resolve) => reply.raw.once('close', () => resolve()))
      await Promise.race([deps.admission.idle(instance, sessionID), gone])
      return reply.code(204).send(null)
    },
  )
}

/** `POST /api/session/:sessionID/synthetic`: text for the model that no user typed. */
export function registerSyntheticRoute(app: PluginApp, deps: SessionV2Deps): void {
  app.post(
    '/api/session/:sessionID/synthetic',
    {
      config,
      schema: {
        operationId: 'session.synthetic',
        tags,
        summary: 'Admit synthetic input',
        description:
          "Admits text the model reads as the user's turn, shown as a `synthetic` message; the same rules as `prompt` (delivery, `resume`, idempotent ids).",
        params: SessionParams,
        body: Type.Object(
          {
            text: Type.String({ maxLength: 10_000_000 }),
            description: Type.Optional(Type.String({ maxLength: 10_000 })),
            metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
            id: Type.Optional(Type.String({ pattern: '^msg_[0-9A-Za-z]+$', maxLength: 100 })),
            delivery: Type.Optional(StringEnum(['steer', 'queue'])),
            resume: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ data: ref(Session21InboxItem) }, { additionalProperties: false }),
          ...v2Errors({ 404: ref(SessionNotFoundErrorBody), 409: ref(ConflictErrorBody) }),
        },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const instance = await loopOf(deps, sessionID)
      const { text, description, metadata, id, delivery, resume } = request.body
      const payload = { text, ...(description ? { description } : {}), ...(metadata ? { metadata } : {}) }
      const prompt = { text, synthetic: description ? { description } : {} }
      const admitted = await deps.inputs.admit(instance, sessionID, { id, delivery, resume, prompt, payload })
      return { data: deps.inputs.item(admitted.id)! }
    },
  )
}

/** `POST /api/session/:sessionID/background`: blocking subagent calls go on in the background. */
export function registerBackgroundRoute(app: PluginApp, deps: SessionV2Deps): void {
  app.post(
    '/api/session/:sessionID/background',
    {
      config,
      schema: {
        operationId: 'session.background',
        tags,
        summary: 'Background blocking tools',
        description:
          "The subagent calls the session's turn waits on return at once and go on in the background (their results arrive later); a no-op when nothing blocks.",
        params: SessionParams,
        response: { 204: Type.Null(), ...sessionNotFound },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      deps.subagents.detach(await loopOf(deps, sessionID), sessionID)
      return reply.code(204).send(null)
    },
  )
}

/** `GET|PATCH|DELETE /api/session/:sessionID/inbox…`. */
export function registerInboxRoutes(app: PluginApp, deps: SessionV2Deps): void {
  const { inputs } = deps
  app.get(
    '/api/session/:sessionID/inbox',
    {
      config,
      schema: {
        operationId: 'session.inbox.list',
        tags,
        summary: 'Pending inputs',
        description: 'Inputs admitted and not delivered yet, in the order they were admitted.',
        params: SessionParams,
        response: {
          200: Type.Object({ data: Type.Array(ref(Session21InboxItem)) }, { additionalProperties: false }),
          ...sessionNotFound,
        },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      await loopOf(deps, sessionID)
      return { data: inputs.pending(sessionID) }
    },
  )

  app.patch(
    '/api/session/:sessionID/inbox/:inboxID',
    {
      config,
      schema: {
        operationId: 'session.inbox.update',
        tags,
        summary: 'Change delivery',
        description:
          'How a pending input joins (`steer`: at the next step boundary, waking an idle session; `queue`: as a turn of its own). 409 when it is not pending.',
        params: InboxParams,
        body: Type.Object({ delivery: StringEnum(['steer', 'queue']) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...v2Errors({ 404: ref(SessionNotFoundErrorBody) }) },
      },
    },
    async (request, reply) => {
      const { sessionID, inboxID } = request.params
      const instance = await loopOf(deps, sessionID)
      const { delivery } = request.body
      if (!(await inputs.changeDelivery(instance, sessionID, inboxID, delivery)))
        throw new TaggedError('ConflictError', 409, `Pending input cannot change to ${delivery}: ${inboxID}`, {
          resource: inboxID,
        })
      return reply.code(204).send(null)
    },
  )

  app.delete(
    '/api/session/:sessionID/inbox/:inboxID',
    {
      config,
      schema: {
        operationId: 'session.inbox.cancel',
        tags,
        summary: 'Cancel pending input',
        description: 'Cancels a pending input (it will not join); 204 also when nothing was pending under that id.',
        params: InboxParams,
        response: { 204: Type.Null(), ...sessionNotFound },
      },
    },
    async (request, reply) => {
      const { sessionID, inboxID } = request.params
      inputs.cancel(await loopOf(deps, sessionID), sessionID, inboxID)
      return reply.code(204).send(null)
    },
  )
}
