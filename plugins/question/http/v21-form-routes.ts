import { Type } from 'typebox'
import {
  ConflictErrorBody,
  DataEnvelope,
  LocationQuery,
  named,
  ref,
  v2Errors,
  type PluginApp,
} from '../../../sdk/index.js'
import type {} from '../../session/types.js' // app.sessions
import { FormCreateInput, FormDetail, FormID, FormInfo, FormReplyInput } from '../form/schemas.js'
import type { FormService } from '../form/service.js'

const sessionConfig = { v2: true, instance: false }
const SessionID = Type.String({ pattern: '^ses', maxLength: 100 })
const SessionParams = Type.Object({ sessionID: SessionID })
const FormParams = Type.Object({ sessionID: SessionID, formID: ref(FormID) })

const tagged = (tag: string, fields: Record<string, ReturnType<typeof Type.String>>) =>
  named(
    tag,
    Type.Object({ _tag: Type.Literal(tag), ...fields, message: Type.String() }, { additionalProperties: false }),
  )
export const FormNotFoundErrorBody = tagged('FormNotFoundError', { id: Type.String() })
export const FormAlreadySettledErrorBody = tagged('FormAlreadySettledError', { id: Type.String() })
export const FormInvalidAnswerErrorBody = tagged('FormInvalidAnswerError', { id: Type.String() })
const SessionNotFound = Type.Object(
  { _tag: Type.Literal('SessionNotFoundError'), sessionID: Type.String(), message: Type.String() },
  { additionalProperties: false },
)
const formNotFound = { 404: Type.Union([SessionNotFound, ref(FormNotFoundErrorBody)]) }
const settled = { 409: ref(FormAlreadySettledErrorBody) }
const invalidRequest = v2Errors()[400]!

/** OpenCode 2.1's location envelope: the directory only. */
const PublicLocation = Type.Object({ directory: Type.String() }, { additionalProperties: false })

/** OpenCode 2.1's forms: `/api/session/:id/form…` and `/api/form` (the `question` tool's questions among them). */
export function registerFormRoutes(app: PluginApp, forms: FormService): void {
  app.get(
    '/api/form',
    {
      config: { v2: true, location: true },
      schema: {
        operationId: 'form.list',
        tags: ['form'],
        summary: 'List pending forms',
        description: 'Pending forms of every session at this location.',
        querystring: Type.Object(LocationQuery),
        response: {
          200: Type.Object(
            { location: PublicLocation, data: Type.Array(ref(FormInfo)) },
            { additionalProperties: false },
          ),
          ...v2Errors(),
        },
      },
    },
    async (request) => ({ location: { directory: request.instance.directory }, data: forms.pending(request.instance) }),
  )
  registerSessionFormRoutes(app, forms)
  registerFormAnswerRoutes(app, forms)
}

/** A session's forms: listed, made by a client, read with their state. */
function registerSessionFormRoutes(app: PluginApp, forms: FormService): void {
  app.get(
    '/api/session/:sessionID/form',
    {
      config: sessionConfig,
      schema: {
        operationId: 'session.form.list',
        tags: ['session'],
        summary: 'List session forms',
        description: 'Pending forms of the session.',
        params: SessionParams,
        response: { 200: DataEnvelope(Type.Array(ref(FormInfo))), ...v2Errors({ 404: SessionNotFound }) },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      return { data: forms.pending(await app.sessions.locate(sessionID), sessionID) }
    },
  )

  app.post(
    '/api/session/:sessionID/form',
    {
      config: sessionConfig,
      schema: {
        operationId: 'session.form.create',
        tags: ['session'],
        summary: 'Create session form',
        description:
          'A form a client asks the user (`form.created`); nothing waits on it. Field keys are unique, a `when` condition names an earlier field with a value of its type; an existing id is a 409.',
        params: SessionParams,
        body: FormCreateInput,
        response: {
          200: DataEnvelope(ref(FormInfo)),
          ...v2Errors({ 404: SessionNotFound, 409: ref(ConflictErrorBody) }),
        },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const instance = await app.sessions.locate(sessionID)
      const { id, title, metadata, fields } = request.body
      const input = { sessionID, title, fields, ...(id ? { id } : {}), ...(metadata ? { metadata } : {}) }
      return { data: forms.create(instance, input) }
    },
  )

  app.get(
    '/api/session/:sessionID/form/:formID',
    {
      config: sessionConfig,
      schema: {
        operationId: 'session.form.get',
        tags: ['session'],
        summary: 'Get session form',
        description: 'The form and its `state`: pending, answered (with the answer) or cancelled (with the message).',
        params: FormParams,
        response: { 200: DataEnvelope(ref(FormDetail)), ...v2Errors(formNotFound) },
      },
    },
    async (request) => {
      const { sessionID, formID } = request.params
      return { data: forms.get(await app.sessions.locate(sessionID), sessionID, formID) }
    },
  )
}

/** Settling a form: an answer, or a cancel. */
function registerFormAnswerRoutes(app: PluginApp, forms: FormService): void {
  app.post(
    '/api/session/:sessionID/form/:formID/reply',
    {
      config: sessionConfig,
      schema: {
        operationId: 'session.form.reply',
        tags: ['session'],
        summary: 'Reply to form',
        description:
          'The answer is checked against the fields (400 `FormInvalidAnswerError`); `form.replied`. A question form completes its `question` tool call.',
        params: FormParams,
        body: FormReplyInput,
        response: {
          204: Type.Null(),
          ...v2Errors({
            400: Type.Union([ref(FormInvalidAnswerErrorBody), invalidRequest]),
            ...formNotFound,
            ...settled,
          }),
        },
      },
    },
    async (request, reply) => {
      const { sessionID, formID } = request.params
      forms.reply(await app.sessions.locate(sessionID), sessionID, formID, request.body.answer)
      return reply.status(204).send(null)
    },
  )

  app.delete(
    '/api/session/:sessionID/form/:formID',
    {
      config: sessionConfig,
      schema: {
        operationId: 'session.form.cancel',
        tags: ['session'],
        summary: 'Cancel form',
        description:
          '`form.cancelled`. A question form fails its tool call: with `message`, the model sees it and the loop goes on; without, the loop stops.',
        params: FormParams,
        querystring: Type.Object({ message: Type.Optional(Type.String({ maxLength: 100_000 })) }),
        response: { 204: Type.Null(), ...v2Errors({ ...formNotFound, ...settled }) },
      },
    },
    async (request, reply) => {
      const { sessionID, formID } = request.params
      forms.cancel(await app.sessions.locate(sessionID), sessionID, formID, request.query.message)
      return reply.status(204).send(null)
    },
  )
}
