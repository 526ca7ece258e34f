// OpenCode 2.1's `POST /api/session/:id/generate {prompt}`: text from the session's model with its
// conversation as context; nothing is stored (no message, no event, no usage).
import { Type } from 'typebox'
import { ServiceUnavailableErrorBody, ref, v2Errors, type PluginApp } from '../../../../sdk/index.js'
import { generateText } from '../../../provider/generate.js'
import type { MessageWithParts } from '../../schemas.js'
import { sessionInstance } from '../../store/locate.js'
import { routeTags as tags, routeConfig as config, SessionParams } from '../v2/route-defaults.js'
import type { SessionV2Deps } from '../v2/routes.js'
import { SessionNotFoundErrorBody } from '../v2/schemas.js'

/** At most this much of the conversation (its end) goes with the prompt. */
const MAX_CONTEXT_CHARS = 200_000

/** The conversation as plain text: each message's text parts, oldest first, its end kept when long. */
function transcript(messages: MessageWithParts[]): string {
  const lines = messages.flatMap((message) => {
    const text = message.parts
      .flatMap((part) => (part.type === 'text' && !part.ignored ? [part.text] : []))
      .join('\n')
      .trim()
    return text ? [`${message.info.role === 'user' ? 'User' : 'Assistant'}: ${text}`] : []
  })
  return lines.join('\n\n').slice(-MAX_CONTEXT_CHARS)
}

export function registerSessionGenerateRoute(app: PluginApp, deps: SessionV2Deps): void {
  app.post(
    '/api/session/:sessionID/generate',
    {
      config,
      schema: {
        operationId: 'session.generate',
        tags,
        summary: 'Generate text in context',
        description:
          "Answers `prompt` with the session's model (else its location's default), the conversation so far as context; the session is not changed. No model → 400; the provider failing → 503.",
        params: SessionParams,
        body: Type.Object(
          { prompt: Type.String({ minLength: 1, maxLength: 1_000_000 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            { data: Type.Object({ text: Type.String() }, { additionalProperties: false }) },
            { additionalProperties: false },
          ),
          ...v2Errors({ 404: ref(SessionNotFoundErrorBody), 503: ref(ServiceUnavailableErrorBody) }),
        },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const { info, instance } = await sessionInstance(deps.kernel, deps.sessions.store, sessionID)
      const context = transcript(deps.sessions.store.allMessages(sessionID))
      const prompt = context
        ? `The conversation so far:\n<conversation>\n${context}\n</conversation>\n\n${request.body.prompt}`
        : request.body.prompt
      const model = info.model ? { providerID: info.model.providerID, id: info.model.id } : undefined
      return { data: await generateText(app.providers, instance, { prompt, model }) }
    },
  )
}
