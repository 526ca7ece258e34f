// v2 switches of a session's agent or model for its next turns.
import { Type } from 'typebox'
import { InvalidRequestError, ascendingId, isNamedError, type PluginApp } from '../../../../sdk/index.js'
import { AgentSwitched, ModelSwitched } from './events.js'
import { loopOf } from './prompt-routes.js'
import type { SessionV2Deps } from './routes.js'
import {
  routeTags as tags,
  routeConfig as config,
  SessionParams,
  sessionNotFound as notFound,
} from './route-defaults.js'

/** `POST /api/session/:sessionID/agent`. */
export function registerAgentSwitchRoute(app: PluginApp, deps: SessionV2Deps): void {
  const { kernel, sessions } = deps
  app.post(
    '/api/session/:sessionID/agent',
    {
      config,
      schema: {
        operationId: 'session.switchAgent',
        tags,
        summary: 'Switch session agent',
        description: 'The agent of the next turns; an unknown agent is a 400. Publishes `session.next.agent.switched`.',
        params: SessionParams,
        body: Type.Object({ agent: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...notFound },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      const instance = await loopOf(deps, sessionID)
      const { agent } = request.body
      if (!(await app.agents.get(instance, agent)))
        throw new InvalidRequestError(`Agent not found: ${agent}`, { kind: 'Payload', field: 'agent' })
      const previous = sessions.store.getSession(sessionID)?.agent
      sessions.update(instance, sessionID, (info) => void (info.agent = agent), { touch: true })
      const messageID = ascendingId('msg')
      const timestamp = Date.now()
      // 2.1's transcript shows the switch as a message of its own.
      sessions.store.entries.add(sessionID, {
        id: messageID,
        time: { created: timestamp },
        type: 'agent-switched',
        agent,
        ...(previous ? { previous } : {}),
      })
      kernel.publish(instance, AgentSwitched, { timestamp, sessionID, messageID, agent })
      return reply.code(204).send(null)
    },
  )
}

/** `POST /api/session/:sessionID/model`. */
export function registerModelSwitchRoute(app: PluginApp, deps: SessionV2Deps): void {
  const { kernel, sessions } = deps
  app.post(
    '/api/session/:sessionID/model',
    {
      config,
      schema: {
        operationId: 'session.switchModel',
        tags,
        summary: 'Switch session model',
        description: 'The model of the next turns; an unknown model is a 400. Publishes `session.next.model.switched`.',
        params: SessionParams,
        body: Type.Object(
          {
            model: Type.Object(
              {
                id: Type.String({ minLength: 1, maxLength: 500 }),
                providerID: Type.String({ minLength: 1, maxLength: 200 }),
                variant: Type.Optional(Type.String({ maxLength: 200 })),
              },
              { additionalProperties: false },
            ),
          },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...notFound },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      const instance = await loopOf(deps, sessionID)
      const { model } = request.body
      try {
        await app.providers.model(instance, { providerID: model.providerID, modelID: model.id })
      } catch (error) {
        if (isNamedError(error) && error.statusCode === 404)
          throw new InvalidRequestError(`Model not found: ${model.providerID}/${model.id}`, {
            kind: 'Payload',
            field: 'model',
          })
        throw error
      }
      const previous = sessions.store.getSession(sessionID)?.model
      sessions.update(
        instance,
        sessionID,
        (info) =>
          void (info.model = {
            id: model.id,
            providerID: model.providerID,
            ...(model.variant ? { variant: model.variant } : {}),
          }),
        { touch: true },
      )
      const messageID = ascendingId('msg')
      const timestamp = Date.now()
      sessions.store.entries.add(sessionID, {
        id: messageID,
        time: { created: timestamp },
        type: 'model-switched',
        model,
        ...(previous ? { previous: { id: previous.id, providerID: previous.providerID } } : {}),
      })
      kernel.publish(instance, ModelSwitched, { timestamp, sessionID, messageID, model })
      return reply.code(204).send(null)
    },
  )
}
