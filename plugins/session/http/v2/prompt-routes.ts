// v2 routes that drive the loop (`/api/session/:id/…`): prompt (admit now, join later),
// interrupt, wait, compact. One loop and one conversation with the v1 routes.
import { Type } from 'typebox'
import {
  ConflictErrorBody,
  DataEnvelope,
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

/** `POST /api/session/:sessionID/prompt`: where a v2 prompt is admitted (inputs.ts). */
export function registerPromptRoute(app: PluginApp, deps: SessionV2Deps): void {
  app.post(
    '/api/session/:sessionID/prompt',
    {
      config,
      schema: {
        operationId: 'v2.session.prompt',
        tags,
        summary: 'Send message',
        description:
          'Admits the input durably and answers its receipt at once. `steer` (default) joins the running turn at its next step boundary, `queue` runs as a turn of its own when the loop would stop, `resume: false` only parks it. The same `id` and prompt answers the same receipt; another prompt under that id is a 409.',
        params: SessionParams,
        body: Type.Object(
          {
            id: Type.Optional(Type.String({ pattern: '^msg_[0-9A-Za-z]+$', maxLength: 100 })),
            prompt: Prompt,
            delivery: Type.Optional(StringEnum(['steer', 'queue'])),
            resume: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: {
          200: DataEnvelope(Receipt),
          ...v2Errors({ 404: ref(SessionNotFoundErrorBody), 409: ref(ConflictErrorBody) }),
        },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const instance = await loopOf(deps, sessionID)
      return { data: await deps.inputs.admit(instance, sessionID, request.body) }
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
        operationId: 'v2.session.interrupt',
        tags,
        summary: 'Interrupt session execution',
        description:
          'Stops the running turn and answers once it has stopped; inputs not yet joined stay pending (the next prompt resumes them). A no-op on an idle session.',
        params: SessionParams,
        response: { 204: Type.Null(), ...notFound },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      await admission.stop(await loopOf(deps, sessionID), sessionID)
      return reply.code(204).send(null)
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
      schema: {
        operationId: 'v2.session.compact',
        tags,
        summary: 'Compact session',
        description:
          "Queues a summary of the conversation with the session's model (as `POST /session/:id/summarize`) and answers once it is admitted; `wait` tells when it is done.",
        params: SessionParams,
        response: { 204: Type.Null(), ...notFound },
      },
    },
    async (request, reply) => {
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
      return reply.code(204).send(null)
    },
  )
}
