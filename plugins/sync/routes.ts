import type { SyncKernel } from './index.js'
import { Type } from 'typebox'
import { BadRequestErrorBody, InstanceQuery, checkDirectory, ref, type PluginApp } from '../../sdk/index.js'
import {
  InvalidRequestErrorBody,
  SyncHistoryEvent,
  SyncHistoryInput,
  SyncReplayInput,
  SyncSessionInput,
} from './schemas.js'
import type { SyncService } from './service.js'

const tags = ['sync']
const querystring = Type.Object(InstanceQuery)
const invalid = Type.Union([ref(InvalidRequestErrorBody), ref(BadRequestErrorBody)])

export function registerSyncRoutes(app: PluginApp, kernel: SyncKernel, service: SyncService): void {
  app.post(
    '/sync/start',
    {
      schema: {
        operationId: 'sync.start',
        tags,
        summary: 'Start workspace sync',
        description:
          "`true`. This server's workspaces are local checkouts sharing its database, so there is no remote loop to start.",
        querystring,
        response: { 200: Type.Boolean() },
      },
    },
    async () => true,
  )

  app.post(
    '/sync/history',
    {
      schema: {
        operationId: 'sync.history.list',
        tags,
        summary: 'List sync events',
        description:
          "The project's per-session event log. Keys are session ids the client knows, values the last seq it has: the events after it are answered, and every event of the sessions not named. " +
          'Session by session in id order, each in seq order, at most 1,000 events: ask again with the seqs received for the rest.',
        querystring,
        body: SyncHistoryInput,
        response: { 200: Type.Array(ref(SyncHistoryEvent)), 400: invalid },
      },
    },
    async (request) => service.history(request.instance, request.body ?? {}),
  )

  app.post(
    '/sync/replay',
    {
      schema: {
        operationId: 'sync.replay',
        tags,
        summary: 'Replay sync events',
        description:
          "Validates a session's history (as `/sync/history` answers it on another server, with `aggregateID`) and applies the events this server does not have, all or none, to the session in `directory`. " +
          'Events it has (by seq) are skipped. 400 `InvalidRequestError` with the reason for a history that does not fit: another session, a gap in the seqs, an unknown type, data that does not match the event.',
        querystring,
        body: SyncReplayInput,
        response: { 200: Type.Object({ sessionID: Type.String() }, { additionalProperties: false }), 400: invalid },
      },
    },
    async (request) => {
      const body = request.body
      const directory = await checkDirectory(body.directory, 'cwd')
      return service.replay(await kernel.instances.get(directory), body.events)
    },
  )

  app.post(
    '/sync/steal',
    {
      schema: {
        operationId: 'sync.steal',
        tags,
        summary: 'Steal session into workspace',
        description:
          'The session now belongs to the workspace the request names (`?workspace=`), or to none; `session.updated`. Unknown session: 400.',
        querystring,
        body: SyncSessionInput,
        response: { 200: SyncSessionInput, 400: invalid },
      },
    },
    async (request) => service.steal(request.instance, request.body.sessionID, request.workspaceID),
  )
}
