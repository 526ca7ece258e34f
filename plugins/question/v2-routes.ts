import { Type } from 'typebox'
import {
  DataEnvelope,
  LocationEnvelope,
  LocationQuery,
  TaggedError,
  locationEnvelope,
  named,
  ref,
  v2Errors,
  type Instance,
  type PluginApp,
} from '../../sdk/index.js'
import type {} from '../session/types.js' // app.sessions, when the session plugin runs
import { QuestionNotFoundError } from './errors.js'
import { QuestionReplyInput, QuestionRequest } from './schemas.js'
import type { QuestionService } from './service.js'

const tags = ['question']
const SessionParams = Type.Object({ sessionID: Type.String({ pattern: '^ses', maxLength: 100 }) })
const RequestParams = Type.Object({
  sessionID: Type.String({ pattern: '^ses', maxLength: 100 }),
  requestID: Type.String({ pattern: '^que', maxLength: 100 }),
})

export const QuestionNotFoundErrorBody = named(
  'QuestionNotFoundError',
  Type.Object(
    { _tag: Type.Literal('QuestionNotFoundError'), requestID: Type.String(), message: Type.String() },
    { additionalProperties: false },
  ),
)
const SessionNotFound = Type.Object(
  { _tag: Type.Literal('SessionNotFoundError'), sessionID: Type.String(), message: Type.String() },
  { additionalProperties: false },
)
const notFound = v2Errors({ 404: Type.Union([ref(QuestionNotFoundErrorBody), SessionNotFound]) })

/** `/api/question/request` and `/api/session/:id/question…`: the same pending questions as `/question`. */
export function registerQuestionV2Routes(app: PluginApp, service: QuestionService): void {
  registerPendingRoute(app, service)
  registerSessionQuestionRoutes(app, service)
}

/** The instance of the session; SessionNotFoundError when there is none (or no session plugin). */
async function sessionInstance(app: PluginApp, sessionID: string): Promise<Instance> {
  if (!app.hasDecorator('sessions'))
    throw new TaggedError('SessionNotFoundError', 404, `Session not found: ${sessionID}`, { sessionID })
  return app.sessions.locate(sessionID)
}

/** The instance of a pending question, which must belong to the session. */
async function questionInstance(
  app: PluginApp,
  service: QuestionService,
  sessionID: string,
  requestID: string,
): Promise<Instance> {
  const instance = await sessionInstance(app, sessionID)
  if (!service.list(instance).some((entry) => entry.id === requestID && entry.sessionID === sessionID))
    throw new QuestionNotFoundError(requestID)
  return instance
}

function registerPendingRoute(app: PluginApp, service: QuestionService): void {
  app.get(
    '/api/question/request',
    {
      config: { v2: true, location: true },
      schema: {
        operationId: 'v2.question.request.list',
        tags,
        summary: 'Pending questions',
        description: 'Questions the model asked at this location and the user has not answered.',
        querystring: Type.Object(LocationQuery),
        response: { 200: LocationEnvelope(Type.Array(ref(QuestionRequest))), ...v2Errors() },
      },
    },
    async (request) => locationEnvelope(request, service.list(request.instance)),
  )
}

/** A session's pending questions: listed, answered, dismissed. */
function registerSessionQuestionRoutes(app: PluginApp, service: QuestionService): void {
  app.get(
    '/api/session/:sessionID/question',
    {
      config: { v2: true, instance: false },
      schema: {
        operationId: 'v2.session.question.list',
        tags,
        summary: 'Pending questions of a session',
        params: SessionParams,
        response: { 200: DataEnvelope(Type.Array(ref(QuestionRequest))), ...v2Errors({ 404: SessionNotFound }) },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const instance = await sessionInstance(app, sessionID)
      return { data: service.list(instance).filter((entry) => entry.sessionID === sessionID) }
    },
  )

  app.post(
    '/api/session/:sessionID/question/:requestID/reply',
    {
      config: { v2: true, instance: false },
      schema: {
        operationId: 'v2.session.question.reply',
        tags,
        summary: 'Answer a question',
        description:
          'One array of chosen labels (or typed text) per question; the tool call continues. `question.replied`.',
        params: RequestParams,
        body: QuestionReplyInput,
        response: { 204: Type.Null(), ...notFound },
      },
    },
    async (request, reply) => {
      const { sessionID, requestID } = request.params
      const instance = await questionInstance(app, service, sessionID, requestID)
      service.reply(instance, requestID, request.body.answers)
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/api/session/:sessionID/question/:requestID/reject',
    {
      config: { v2: true, instance: false },
      schema: {
        operationId: 'v2.session.question.reject',
        tags,
        summary: 'Dismiss a question',
        description: 'The tool call fails and the turn stops. `question.rejected`.',
        params: RequestParams,
        response: { 204: Type.Null(), ...notFound },
      },
    },
    async (request, reply) => {
      const { sessionID, requestID } = request.params
      const instance = await questionInstance(app, service, sessionID, requestID)
      service.reject(instance, requestID)
      return reply.status(204).send(null)
    },
  )
}
