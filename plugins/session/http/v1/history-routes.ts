// v1 history: what a session changed (diff), revert and unrevert of its files, fork.
import { Type } from 'typebox'
import { InstanceQuery, optionalBody, ref, type PluginApp } from '../../../../sdk/index.js'
import { SessionInfo, SnapshotFileDiff } from '../../schemas.js'
import { patchedDiffs } from '../../store/patched-diff.js'
import type { SessionRouteDeps } from './routes.js'
import { DiffQuery, ForkInput, RevertInput, SessionParams } from './schemas.js'

const tags = ['session']
const querystring = Type.Object(InstanceQuery)

/** `GET /session/:sessionID/diff` and `POST …/revert`. */
export function registerDiffRoutes(app: PluginApp, { admission, history }: SessionRouteDeps): void {
  app.get(
    '/session/:sessionID/diff',
    {
      schema: {
        operationId: 'session.diff',
        tags,
        summary: 'What the session changed',
        description:
          'Per file, from the snapshot before the first tool ran to the one after the last; with `messageID` (a user message), only that turn.',
        querystring: DiffQuery,
        params: SessionParams,
        response: { 200: Type.Array(ref(SnapshotFileDiff)) },
      },
    },
    async (request) =>
      patchedDiffs(await history.diff(request.instance, request.params.sessionID, request.query.messageID)),
  )

  app.post(
    '/session/:sessionID/revert',
    {
      schema: {
        operationId: 'session.revert',
        tags,
        summary: 'Revert the files a message (or part) and everything after it changed',
        description:
          'Marks the session `revert`; the next prompt drops the reverted messages, unrevert restores the files. 409 while busy.',
        querystring,
        params: SessionParams,
        body: RevertInput,
        response: { 200: ref(SessionInfo) },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const body = request.body
      admission.assertIdle(request.instance, sessionID)
      return history.revert(request.instance, sessionID, body.messageID, body.partID)
    },
  )
}

/** `POST /session/:sessionID/unrevert` and `…/fork`. */
export function registerUnrevertAndForkRoutes(app: PluginApp, { admission, history }: SessionRouteDeps): void {
  app.post(
    '/session/:sessionID/unrevert',
    {
      schema: {
        operationId: 'session.unrevert',
        tags,
        summary: 'Undo a revert',
        description: 'Puts the files back as they were before the revert. 409 while busy.',
        querystring,
        params: SessionParams,
        response: { 200: ref(SessionInfo) },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      admission.assertIdle(request.instance, sessionID)
      return history.unrevert(request.instance, sessionID)
    },
  )

  app.post(
    '/session/:sessionID/fork',
    {
      schema: {
        operationId: 'session.fork',
        tags,
        summary: 'Fork a session',
        description:
          'A new session with copies (new ids, same content) of the messages before `messageID`, or of all of them.',
        querystring,
        params: SessionParams,
        body: optionalBody(ForkInput),
        response: { 200: ref(SessionInfo) },
      },
    },
    async (request) => history.fork(request.instance, request.params.sessionID, request.body?.messageID),
  )
}
