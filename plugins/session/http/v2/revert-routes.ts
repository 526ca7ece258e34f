import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type Static } from 'typebox'
import {
  DataEnvelope,
  V2ErrorBody,
  ascendingId,
  ref,
  v2Errors,
  type Instance,
  type Kernel,
} from '../../../../sdk/index.js'
import { MessageNotFoundV2 } from '../../errors.js'
import type { PromptAdmission } from '../../loop/admission.js'
import type { SessionHistory } from '../../store/history.js'
import type { SessionInfo } from '../../schemas.js'
import type { SessionService } from '../../store/service.js'
import { RevertCleared, RevertCommitted, RevertStaged } from './events.js'
import { sessionInstance, storedSession } from './routes.js'
import { MessageNotFoundErrorBody, RevertState, SessionNotFoundErrorBody } from './schemas.js'
import { revertV2View, type StoredRevert } from './views.js'

/*
 * v2 revert staging (`/api/session/:id/revert/{stage,clear,commit}`) over the one `session.revert`
 * that v1's revert/unrevert also use. A staged revert is stored in v1's shape, so v1 clients show
 * it as they show their own: `messageID` is the first message after the v2 boundary (v1 hides
 * that message and the ones after it; when there is none yet, an id that sorts after every
 * existing message). `boundary` (the kept message) marks it as staged through v2: prompts leave
 * it alone, only clear/commit (or v1 unrevert/revert) end it. v1 HTTP answers leave out `boundary`
 * and `files`, which their schema does not know (v1 `session.updated` events carry them).
 */

type RevertStateValue = Static<typeof RevertState>
type RevertFile = NonNullable<RevertStateValue['files']>[number]

const tags = ['session']
const config = { v2: true, instance: false }
const SessionParams = Type.Object({ sessionID: Type.String({ pattern: '^ses', maxLength: 100 }) })
const StageInput = Type.Object(
  { messageID: Type.String({ pattern: '^msg_', maxLength: 100 }), files: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
)
// 409 SessionBusyError `{_tag, sessionID, message}` while a turn, shell command or summary runs.
const busy = { 409: ref(V2ErrorBody) }

let diffModule: Promise<typeof import('diff')> | undefined
/** The `diff` package, loaded on the first stage rather than at start-up. */
const loadDiff = () => (diffModule ??= import('diff'))

export function registerSessionRevertRoutes(
  app: FastifyInstance,
  kernel: Kernel,
  deps: { sessions: SessionService; admission: PromptAdmission; history: SessionHistory },
): void {
  const { sessions, admission, history } = deps
  const store = sessions.store
  const snapshots = () => (app.hasDecorator('snapshots') ? app.snapshots : undefined)
  // One revert operation at a time per session: each restores and rewrites files.
  const running = new Map<string, Promise<unknown>>()
  const oneAtATime = <T>(sessionID: string, work: () => Promise<T>): Promise<T> => {
    const result = (running.get(sessionID) ?? Promise.resolve()).then(work, work)
    const settled = result.then(
      () => undefined,
      () => undefined,
    )
    running.set(sessionID, settled)
    void settled.then(() => running.get(sessionID) === settled && running.delete(sessionID))
    return result
  }

  /** The session's instance, once it is known and idle (tagged 404 / 409 otherwise). */
  const idleSession = async (sessionID: string): Promise<{ info: SessionInfo; instance: Instance }> => {
    const { instance } = await sessionInstance(kernel, store, sessionID)
    admission.assertIdle(instance, sessionID)
    // Read again: another operation may have changed it while the instance opened.
    return { info: storedSession(store, sessionID), instance }
  }

  async function stage(sessionID: string, boundary: string, files: boolean): Promise<RevertStateValue> {
    const { info, instance } = await idleSession(sessionID)
    if (!store.getMessage(sessionID, boundary)) throw new MessageNotFoundV2(sessionID, boundary)
    const previous = info.revert as StoredRevert | undefined
    const after = store.allMessages(sessionID).filter((message) => message.info.id > boundary)
    let snapshot = previous?.snapshot
    let reverted: RevertFile[] = []
    const service = snapshots()
    if (files && service) {
      // The state clear comes back to is the one before the first revert; a re-stage starts from it.
      if (snapshot) await service.restore(instance, snapshot)
      else snapshot = await service.track(instance)
      const patches = after.flatMap((message) =>
        message.info.role === 'assistant'
          ? message.parts.flatMap((part) => (part.type === 'patch' ? [{ hash: part.hash, files: part.files }] : []))
          : [],
      )
      await service.revert(instance, patches)
      const now = snapshot ? await service.track(instance) : undefined
      if (snapshot && now) reverted = await revertedFiles(instance, now, snapshot)
    }
    const stored: StoredRevert = {
      messageID: after[0]?.info.id ?? ascendingId('msg'),
      ...(snapshot ? { snapshot } : {}),
      diff: reverted.map((file) => file.patch).join(''),
      boundary,
      files: reverted,
    }
    sessions.update(instance, sessionID, (next) => {
      next.revert = stored
    })
    const revert = revertV2View(stored)!
    kernel.publish(instance, RevertStaged, { sessionID, timestamp: Date.now(), revert })
    return revert
  }

  /** What the revert took away, file by file: from the worktree now to the state before it. */
  async function revertedFiles(instance: Instance, from: string, to: string): Promise<RevertFile[]> {
    const { createTwoFilesPatch } = await loadDiff()
    const diffs = await snapshots()!.diff(instance, from, to)
    return diffs.map((diff) => ({
      path: diff.file,
      status: diff.status ?? 'modified',
      additions: diff.additions,
      deletions: diff.deletions,
      patch: createTwoFilesPatch(diff.file, diff.file, diff.before, diff.after),
    }))
  }

  async function clear(sessionID: string): Promise<void> {
    const { info, instance } = await idleSession(sessionID)
    if (!info.revert) return
    await history.unrevert(instance, sessionID)
    kernel.publish(instance, RevertCleared, { sessionID, timestamp: Date.now() })
  }

  async function commit(sessionID: string): Promise<void> {
    const { info, instance } = await idleSession(sessionID)
    const revert = info.revert as StoredRevert | undefined
    if (!revert) return
    if (revert.boundary === undefined) {
      // A v1 revert: dropped as the next v1 prompt would drop it.
      history.dropReverted(instance, sessionID)
    } else {
      const boundary = revert.boundary
      kernel.storage.db.transaction(() => {
        for (const message of store.allMessages(sessionID)) {
          if (message.info.id > boundary) sessions.removeMessage(instance, sessionID, message.info.id)
        }
        sessions.update(instance, sessionID, (next) => {
          delete next.revert
        })
      })()
    }
    kernel.publish(instance, RevertCommitted, {
      sessionID,
      timestamp: Date.now(),
      messageID: revert.boundary ?? revert.messageID,
    })
  }

  const sessionIDOf = (request: FastifyRequest) => (request.params as Static<typeof SessionParams>).sessionID

  app.post(
    '/api/session/:sessionID/revert/stage',
    {
      config,
      schema: {
        operationId: 'v2.session.revert.stage',
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
      const sessionID = sessionIDOf(request)
      const body = request.body as Static<typeof StageInput>
      return { data: await oneAtATime(sessionID, () => stage(sessionID, body.messageID, body.files ?? true)) }
    },
  )

  app.post(
    '/api/session/:sessionID/revert/clear',
    {
      config,
      schema: {
        operationId: 'v2.session.revert.clear',
        tags,
        summary: 'Clear staged revert',
        description:
          'Puts the files back as they were before the first stage and drops `revert`; nothing staged: 204 without an event. 409 SessionBusyError while busy.',
        params: SessionParams,
        response: { 204: Type.Null(), ...v2Errors({ 404: ref(SessionNotFoundErrorBody), ...busy }) },
      },
    },
    async (request, reply) => {
      const sessionID = sessionIDOf(request)
      await oneAtATime(sessionID, () => clear(sessionID))
      return reply.code(204).send()
    },
  )

  app.post(
    '/api/session/:sessionID/revert/commit',
    {
      config,
      schema: {
        operationId: 'v2.session.revert.commit',
        tags,
        summary: 'Commit staged revert',
        description:
          'Deletes the messages after the boundary (the boundary stays), keeps the files as reverted and drops `revert`; nothing staged: 204 without an event. 409 SessionBusyError while busy.',
        params: SessionParams,
        response: { 204: Type.Null(), ...v2Errors({ 404: ref(SessionNotFoundErrorBody), ...busy }) },
      },
    },
    async (request, reply) => {
      const sessionID = sessionIDOf(request)
      await oneAtATime(sessionID, () => commit(sessionID))
      return reply.code(204).send()
    },
  )
}
