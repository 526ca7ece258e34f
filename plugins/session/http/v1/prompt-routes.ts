// v1 prompts: send one and wait for the reply, send one without waiting, abort.
import { Type } from 'typebox'
import { InstanceQuery, ref, type PluginApp } from '../../../../sdk/index.js'
import { PromptInput } from '../../prompt-schemas.js'
import { MessageWithParts } from '../../schemas.js'
import type { SessionRouteDeps } from './routes.js'
import { SessionParams } from './schemas.js'

const tags = ['session']
const querystring = Type.Object(InstanceQuery)

/** `POST /session/:sessionID/message`, `…/prompt_async` and `…/abort`: where a v1 prompt enters admission. */
export function registerPromptRoutes(app: PluginApp, { kernel, admission, sessions }: SessionRouteDeps): void {
  app.post(
    '/session/:sessionID/message',
    {
      schema: {
        operationId: 'session.prompt',
        tags,
        summary: 'Send a prompt and wait for the reply',
        querystring,
        params: SessionParams,
        body: ref(PromptInput),
        response: { 200: ref(MessageWithParts) },
      },
    },
    async (request) => admission.prompt(request.instance, request.params.sessionID, request.body),
  )

  app.post(
    '/session/:sessionID/prompt_async',
    {
      schema: {
        operationId: 'session.prompt_async',
        tags,
        summary: 'Send a prompt; answers 204 at once',
        querystring,
        params: SessionParams,
        body: ref(PromptInput),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      // Validation and storing the user message happen before the 204; only the turn runs after.
      const { reply: turn } = await admission.submit(request.instance, sessionID, request.body)
      turn?.catch((error: unknown) => kernel.log.warn({ err: error, sessionID }, 'async prompt failed'))
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/session/:sessionID/abort',
    {
      schema: {
        operationId: 'session.abort',
        tags,
        summary: 'Abort the running prompt and drop queued ones',
        querystring,
        params: SessionParams,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      sessions.get(request.instance, sessionID)
      await admission.stop(request.instance, sessionID)
      return true
    },
  )
}
