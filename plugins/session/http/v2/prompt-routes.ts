// v2 routes that drive the loop (`/api/session/:id/…`): prompt (admit now, join later),
// interrupt, wait, compact. One loop and one conversation with the v1 routes.
import { Type } from 'typebox'
import { Mention, PromptAgents, PromptFiles } from '../v21/attachment-schemas.js'
import {
  ConflictErrorBody,
  ascendingId,
  DataEnvelope,
  InvalidRequestError,
  StringEnum,
  isNamedError,
  ref,
  v2Errors,
  type Instance,
  type PluginApp,
} from '../../../../sdk/index.js'
import { sessionInstance } from '../../store/locate.js'
import {
  routeTags as tags,
  routeConfig as config,
  SessionParams,
  sessionNotFound as notFound,
} from './route-defaults.js'
import type { SessionV2Deps } from './routes.js'
import { SessionMessage, SessionNotFoundErrorBody } from './schemas.js'
import { messageV2View } from './views.js'
import { readAttachments } from '../v21/attachments.js'
import { Session21InboxItem } from '../v21/schemas.js'

const Source = Type.Object(
  {
    value: Type.String({ maxLength: 100_000 }),
    start: Type.Integer({ minimum: 0 }),
    end: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: true },
)
const Prompt = Type.Object(
  {
    text: Type.String({ maxLength: 10_000_000 }),
    files: Type.Optional(
      Type.Array(
        Type.Object(
          {
            uri: Type.String({ minLength: 1, maxLength: 100_000_000 }),
            name: Type.Optional(Type.String({ maxLength: 4096 })),
            description: Type.Optional(Type.String({ maxLength: 100_000 })),
            source: Type.Optional(Source),
          },
          { additionalProperties: false },
        ),
        { maxItems: 100 },
      ),
    ),
    agents: Type.Optional(
      Type.Array(
        Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 200 }), source: Type.Optional(Source) },
          { additionalProperties: false },
        ),
        { maxItems: 100 },
      ),
    ),
  },
  { additionalProperties: false },
)
const PromptView = Type.Object(
  {
    text: Type.String(),
    files: Type.Optional(
      Type.Array(
        Type.Object(
          { uri: Type.String(), mime: Type.String(), name: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
      ),
    ),
    agents: Type.Optional(Type.Array(Type.Object({ name: Type.String() }, { additionalProperties: false }))),
  },
  { additionalProperties: false },
)
const Receipt = Type.Object(
  {
    admittedSeq: Type.Integer({ minimum: 0 }),
    id: Type.String(),
    sessionID: Type.String(),
    prompt: PromptView,
    delivery: StringEnum(['steer', 'queue']),
    timeCreated: Type.Number(),
    promotedSeq: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
)
/** How long `wait` waits when the client names no timeout, and at most. */
const DEFAULT_WAIT_MS = 5 * 60_000
const MAX_WAIT_MS = 60 * 60_000

/** The session's instance (where its loop runs); the tagged 404 when there is no such session. */
export async function loopOf(deps: SessionV2Deps, sessionID: string): Promise<Instance> {
  return (await sessionInstance(deps.kernel, deps.sessions.store, sessionID)).instance
}

/**
 * 2.1's flat body (`{text, files, …}`) and 1.18's (`{prompt: {text}}`) in one schema: they are
 * told apart by `prompt`, and each answers in its own dialect (2.1's inbox item, 1.18's receipt).
 */
const PromptBody = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: '^msg_[0-9A-Za-z]+$', maxLength: 100 })),
    text: Type.Optional(Type.String({ maxLength: 10_000_000 })),
    files: PromptFiles,
    agents: PromptAgents,
    skills: Type.Optional(
      Type.Array(Type.Object({ id: Type.String({ maxLength: 200 }), mention: Type.Optional(Mention) }), {
        maxItems: 100,
      }),
    ),
    metadata: Type.Optional(Type.Object({}, { additionalProperties: true })),
    prompt: Type.Optional(Prompt),
    delivery: Type.Optional(StringEnum(['steer', 'queue'])),
    resume: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

/** `POST /api/session/:sessionID/prompt`: where a prompt is admitted (inputs.ts). */
export function registerPromptRoute(app: PluginApp, deps: SessionV2Deps): void {
  app.post(
    '/api/session/:sessionID/prompt',
    {
      config,
      schema: {
        operationId: 'session.prompt',
        tags,
        summary: 'Send message',
        description:
          "Admits the input durably and answers its inbox item at once (files read and inlined now). `steer` (default) joins the running turn at its next step boundary, `queue` runs as a turn of its own when the loop would stop, `resume: false` only parks it. Re-posting an id answers the original item and starts nothing new; an id of another session is a 409. 1.18's `{prompt: {text}}` body is still accepted and answered with 1.18's receipt.",
        params: SessionParams,
        body: PromptBody,
        response: {
          200: DataEnvelope(Type.Union([ref(Session21InboxItem), Receipt])),
          ...v2Errors({ 404: ref(SessionNotFoundErrorBody), 409: ref(ConflictErrorBody) }),
        },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const body = request.body
      const instance = await loopOf(deps, sessionID)
      if (body.prompt) {
        const { prompt, id, delivery, resume } = body
        return { data: await deps.inputs.admit(instance, sessionID, { prompt, id, delivery, resume }) }
      }
      if (body.text === undefined)
        throw new InvalidRequestError('Missing key\n  at ["text"]', { kind: 'Payload', field: 'text' })
      if (body.skills?.length) throw new InvalidRequestError(`Skill not found: ${body.skills[0]!.id}`)
      const files = body.files ?? []
      const payload = {
        text: body.text,
        files: readAttachments(instance, files),
        ...(body.agents?.length ? { agents: body.agents } : {}),
        ...(body.metadata ? { metadata: body.metadata } : {}),
      }
      const prompt = {
        text: body.text,
        ...(files.length ? { files: files.map(({ uri, name }) => ({ uri, ...(name ? { name } : {}) })) } : {}),
        ...(body.agents?.length ? { agents: body.agents.map(({ name }) => ({ name })) } : {}),
      }
      const { id } = await deps.inputs.admit(instance, sessionID, { ...body, prompt, payload })
      const item = deps.inputs.item(id)!
      // A re-post echoes the delivery it asked for, as 2.1 does.
      return { data: { ...item, delivery: body.delivery ?? item.delivery } }
    },
  )
}

/** `POST /api/session/:sessionID/interrupt` and `…/wait`. */
export function registerInterruptAndWaitRoutes(app: PluginApp, deps: SessionV2Deps): void {
  const { sessions, admission } = deps
  app.post(
    '/api/session/:sessionID/interrupt',
    {
      config,
      schema: {
        operationId: 'session.interrupt',
        tags,
        summary: 'Interrupt session execution',
        description:
          'Stops the running turn and answers once it has stopped (`interrupted`: whether a run was stopped); pending inputs stay. `resume=true` then starts a run for the pending steer inputs.',
        params: SessionParams,
        querystring: Type.Object({ resume: Type.Optional(Type.Boolean()) }),
        response: {
          200: Type.Object({ interrupted: Type.Boolean() }, { additionalProperties: false }),
          ...notFound,
        },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const instance = await loopOf(deps, sessionID)
      const interrupted = admission.isBusy(instance, sessionID)
      await admission.stop(instance, sessionID)
      if (request.query.resume) await deps.inputs.resume(instance, sessionID, 'steer')
      return { interrupted }
    },
  )

  app.post(
    '/api/session/:sessionID/wait',
    {
      config,
      schema: {
        operationId: 'v2.session.wait',
        tags,
        summary: 'Wait for session',
        description:
          "Answers when the session's loop is idle, with its newest message (`idle: true`), or after `timeout` ms (default 300000, at most 3600000) with `idle: false`.",
        params: SessionParams,
        querystring: Type.Object({ timeout: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_WAIT_MS })) }),
        response: {
          200: DataEnvelope(
            Type.Object(
              { idle: Type.Boolean(), message: Type.Optional(ref(SessionMessage)) },
              { additionalProperties: false },
            ),
          ),
          ...notFound,
        },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      const instance = await loopOf(deps, sessionID)
      const { timeout = DEFAULT_WAIT_MS } = request.query
      let timer: NodeJS.Timeout | undefined
      // A client that hangs up stops the wait too.
      const gone = new Promise<'gone'>((resolve) => reply.raw.once('close', () => resolve('gone')))
      const outcome = await Promise.race([
        admission.idle(instance, sessionID).then(() => 'idle' as const),
        new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeout))),
        gone,
      ])
      clearTimeout(timer)
      if (outcome !== 'idle') return { data: { idle: false } }
      const newest = sessions.store.page(sessionID, 1).messages[0]
      const view = newest ? messageV2View(newest, () => 'manual') : undefined
      return { data: { idle: true, ...(view ? { message: view } : {}) } }
    },
  )
}

/** `POST /api/session/:sessionID/compact`. */
export function registerCompactRoute(app: PluginApp, deps: SessionV2Deps): void {
  const { kernel, sessions, admission } = deps
  app.post(
    '/api/session/:sessionID/compact',
    {
      config,
      // 1.18's client sends no body; 2.1's sends `{id?, delivery?}`.
      preValidation: async (request) => void (request.body ??= {}),
      schema: {
        operationId: 'session.compact',
        tags,
        summary: 'Compact session',
        description:
          "Queues a summary of the conversation with the session's model (as `POST /session/:id/summarize`) and answers its inbox item once it is admitted; `wait` tells when it is done.",
        params: SessionParams,
        body: Type.Object(
          {
            id: Type.Optional(
              Type.Union([Type.String({ pattern: '^msg_[0-9A-Za-z]+$', maxLength: 100 }), Type.Null()]),
            ),
            delivery: Type.Optional(Type.Union([StringEnum(['steer', 'queue']), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 200: DataEnvelope(ref(Session21InboxItem)), ...notFound },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const instance = await loopOf(deps, sessionID)
      const session = sessions.get(instance, sessionID)
      // Checked before it is queued, so a missing model is a 400 here rather than a failed turn.
      const { model } = await admission.resolveAgentAndModel(instance, session, {
        parts: [],
        ...(session.agent ? { agent: session.agent } : {}),
      })
      admission
        .compact(instance, sessionID, { providerID: model.providerID, modelID: model.modelID })
        .catch((error) => {
          if (!isNamedError(error)) kernel.log.warn({ err: error, sessionID }, 'compaction failed')
        })
      const { id, delivery } = request.body
      return {
        data: {
          id: id ?? ascendingId('msg'),
          sessionID,
          time: { created: Date.now() },
          type: 'compaction',
          payload: {},
          delivery: delivery ?? 'steer',
        },
      }
    },
  )
}
