import { Type } from 'typebox'
import { InstanceQuery, ref, type PluginApp } from '../../sdk/index.js'
import { QuestionParams, QuestionReplyInput, QuestionRequest } from './schemas.js'
import type { QuestionService } from './service.js'

const tags = ['question']
const querystring = Type.Object(InstanceQuery)

// The seed's paths (`/question/questions…`) and OpenCode's (`/question…`) share handlers.
const PATHS = [
  {
    base: '/question/questions',
    ids: { list: 'question.questions.list', reply: 'question.questions.reply', reject: 'question.questions.reject' },
  },
  { base: '/question', ids: { list: 'question.list', reply: 'question.reply', reject: 'question.reject' } },
]

export function registerQuestionRoutes(app: PluginApp, service: QuestionService): void {
  for (const { base, ids } of PATHS) {
    app.get(
      base,
      {
        schema: {
          operationId: ids.list,
          tags,
          summary: 'List pending questions',
          querystring,
          response: { 200: Type.Array(ref(QuestionRequest)) },
        },
      },
      async (request) => service.list(request.instance),
    )

    app.post(
      `${base}/:requestID/reply`,
      {
        schema: {
          operationId: ids.reply,
          tags,
          summary: 'Answer a question',
          description: 'One array of selected labels (or typed text) per question, in order.',
          params: QuestionParams,
          querystring,
          body: QuestionReplyInput,
          response: { 200: Type.Boolean() },
        },
      },
      async (request) => {
        const { requestID } = request.params
        service.reply(request.instance, requestID, request.body.answers)
        return true
      },
    )

    app.post(
      `${base}/:requestID/reject`,
      {
        schema: {
          operationId: ids.reject,
          tags,
          summary: 'Dismiss a question',
          description: 'The question tool fails and the loop stops.',
          params: QuestionParams,
          querystring,
          response: { 200: Type.Boolean() },
        },
      },
      async (request) => {
        const { requestID } = request.params
        service.reject(request.instance, requestID)
        return true
      },
    )
  }
}
