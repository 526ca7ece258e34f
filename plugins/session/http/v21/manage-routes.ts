// OpenCode 2.1's session management on `/api/session/:id`: change its settings (`PATCH`), fork it,
// delete it. The same stored sessions and services as v1's `PATCH|DELETE /session/:id` and
// `POST /session/:id/fork`, so both dialects see one another's changes.
import { Type, type Static } from 'typebox'
import { StringEnum, TaggedError, ref, v2Errors, type Instance, type PluginApp } from '../../../../sdk/index.js'
import { SyncProjectors } from '../../../sync/types.js'
import { MessageNotFoundV2 } from '../../errors.js'
import type { SessionInfo } from '../../schemas.js'
import { sessionInstance } from '../../store/locate.js'
import { sessionView } from '../v2/session-routes.js'
import { routeTags as tags, routeConfig as config, SessionParams, sessionNotFound } from '../v2/route-defaults.js'
import type { SessionV2Deps } from '../v2/routes.js'
import { MessageNotFoundErrorBody, SessionNotFoundErrorBody } from '../v2/schemas.js'
import { registerSessionDiffRoute } from './diff-routes.js'
import { Renamed } from './events.js'
import { registerSessionExportRoute } from './export-route.js'
import { registerSessionGenerateRoute } from './generate-route.js'
import { registerSessionImportRoute } from './import-route.js'
import { registerSessionLogRoute } from './log-route.js'
import {
  MANAGE_21_EVENTS,
  registerManageEventViews,
  Archived,
  Forked,
  MetadataUpdated,
  PermissionsSet,
  Unarchived,
} from './manage-events.js'
import { registerSessionStatsRoute } from './stats-route.js'
import { registerSessionViewRoute } from './view-routes.js'
import { PermissionRule21, Session21Info } from './schemas.js'
import { ruleOf } from './views.js'

const MessageID = Type.String({ pattern: '^msg_[0-9A-Za-z]+$', maxLength: 100 })
const UpdateBody = Type.Object(
  {
    title: Type.Optional(Type.Union([Type.String({ maxLength: 10_000 }), Type.Null()])),
    metadata: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
    permissions: Type.Optional(Type.Union([Type.Array(PermissionRule21, { maxItems: 10_000 }), Type.Null()])),
    archived: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  },
  { additionalProperties: false },
)
const ForkBody = Type.Object(
  { before: Type.Optional(Type.Union([MessageID, Type.Null()])) },
  { additionalProperties: false },
)
const Boundary = Type.Object(
  { type: StringEnum(['before', 'through']), messageID: Type.String() },
  { additionalProperties: false },
)
/** 2.1's `Session.Info` of a fork: where it came from. */
const ForkedInfo = Type.Object(
  {
    ...Session21Info.properties,
    fork: Type.Object({ sessionID: Type.String(), boundary: Boundary }, { additionalProperties: false }),
  },
  { additionalProperties: false },
)

type Change = { publish: () => void }

export function registerSessionManageRoutes(app: PluginApp, deps: SessionV2Deps): void {
  deps.kernel.extensions.provide(SyncProjectors, 'session-21-manage', { types: MANAGE_21_EVENTS, apply: () => {} })
  registerManageEventViews()
  registerUpdateRoute(app, deps)
  registerForkRoute(app, deps)
  registerRemoveRoute(app, deps)
  registerSessionDiffRoute(app, deps)
  registerSessionViewRoute(app, deps)
  registerSessionGenerateRoute(app, deps)
  registerSessionLogRoute(app, deps)
  registerSessionExportRoute(app, deps)
  registerSessionImportRoute(app, deps)
  registerSessionStatsRoute(app, deps)
}

/** The events a `PATCH` publishes: only for what changed (2.1: repeating the current state is a no-op). */
function changes(
  deps: SessionV2Deps,
  instance: Instance,
  info: SessionInfo,
  body: Static<typeof UpdateBody>,
): Change[] {
  const { kernel } = deps
  const sessionID = info.id
  const base = () => ({ timestamp: Date.now(), sessionID })
  const out: Change[] = []
  const { title, metadata, permissions, archived } = body
  if (typeof title === 'string' && title !== info.title) {
    info.title = title
    out.push({ publish: () => kernel.publish(instance, Renamed, { ...base(), title }) })
  }
  if (metadata !== undefined) {
    if (metadata === null) delete info.metadata
    else info.metadata = metadata
    out.push({ publish: () => kernel.publish(instance, MetadataUpdated, { ...base(), metadata: metadata ?? {} }) })
  }
  if (permissions !== undefined) {
    const rules = permissions ?? []
    info.permission = rules.map(ruleOf)
    out.push({ publish: () => kernel.publish(instance, PermissionsSet, { ...base(), permissions: rules }) })
  }
  if (typeof archived === 'boolean' && archived !== (info.time.archived !== undefined)) {
    if (archived) info.time.archived = Date.now()
    else delete info.time.archived
    const event = archived ? Archived : Unarchived
    out.push({ publish: () => kernel.publish(instance, event, base()) })
  }
  return out
}

/** `PATCH /api/session/:sessionID`. */
function registerUpdateRoute(app: PluginApp, deps: SessionV2Deps): void {
  app.patch(
    '/api/session/:sessionID',
    {
      config,
      schema: {
        operationId: 'session.update',
        tags,
        summary: 'Update a session',
        description:
          'Renames, sets metadata or permissions, archives (`true`) or restores (`false`); `null` leaves a title or archive state as it is and clears metadata or permissions. v1 `GET /session/:id` sees the change.',
        params: SessionParams,
        body: UpdateBody,
        response: { 204: Type.Null(), ...sessionNotFound },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      const { instance } = await sessionInstance(deps.kernel, deps.sessions.store, sessionID)
      let published: Change[] = []
      deps.sessions.update(instance, sessionID, (info) => {
        published = changes(deps, instance, info, request.body)
      })
      for (const change of published) change.publish()
      return reply.code(204).send(null)
    },
  )
}

/** The number of the next fork of a session titled `title`: one more than the highest so far. */
function nextForkNumber(deps: SessionV2Deps, source: SessionInfo): number {
  const prefix = `${source.title} (fork #`
  const forks = deps.sessions.store.listSessions({ projectID: source.projectID, search: prefix, limit: 100_000 })
  let highest = 0
  for (const fork of forks) {
    if (!fork.title.startsWith(prefix)) continue
    const match = /^(\d+)\)$/.exec(fork.title.slice(prefix.length))
    if (match) highest = Math.max(highest, Number(match[1]))
  }
  return highest + 1
}

/** `POST /api/session/:sessionID/fork`. */
function registerForkRoute(app: PluginApp, deps: SessionV2Deps): void {
  const view = sessionView(deps.kernel, deps.entries)
  app.post(
    '/api/session/:sessionID/fork',
    {
      config,
      schema: {
        operationId: 'session.fork',
        tags,
        summary: 'Fork a session',
        description:
          'A new root session with copies of the messages before `before` (a message of this session), or of all of them; titled `"<title> (fork #N)"`, N counting the forks of that title.',
        params: SessionParams,
        body: ForkBody,
        response: {
          200: Type.Object({ data: ForkedInfo }, { additionalProperties: false }),
          ...v2Errors({ 404: Type.Union([ref(SessionNotFoundErrorBody), ref(MessageNotFoundErrorBody)]) }),
        },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const { info: source, instance } = await sessionInstance(deps.kernel, deps.sessions.store, sessionID)
      const before = request.body.before ?? undefined
      if (before && !deps.sessions.store.getMessage(sessionID, before)) throw new MessageNotFoundV2(sessionID, before)
      const last = deps.sessions.store.allMessages(sessionID).at(-1)?.info.id
      // As 2.1.2: nothing to copy is not a fork.
      if (!last)
        throw new TaggedError('InvalidRequestError', 400, `Cannot fork empty session: ${sessionID}`, {
          kind: 'empty_session',
        })
      const title = `${source.title} (fork #${nextForkNumber(deps, source)})`
      const created = deps.history.fork(instance, sessionID, before)
      const fork = deps.sessions.update(instance, created.id, (info) => {
        info.title = title
      })
      const boundary = before
        ? { type: 'before' as const, messageID: before }
        : { type: 'through' as const, messageID: last }
      deps.kernel.publish(instance, Forked, {
        timestamp: Date.now(),
        sessionID: fork.id,
        parentID: sessionID,
        boundary,
      })
      const data = { ...(await view(fork)), fork: { sessionID, boundary } }
      return { data }
    },
  )
}

/** `DELETE /api/session/:sessionID`: v1's delete (children too, running ones stopped first). */
function registerRemoveRoute(app: PluginApp, deps: SessionV2Deps): void {
  app.delete(
    '/api/session/:sessionID',
    {
      config,
      schema: {
        operationId: 'session.remove',
        tags,
        summary: 'Delete a session',
        description: 'Deletes the session and its descendants; a running one is interrupted first.',
        params: SessionParams,
        response: { 204: Type.Null(), ...sessionNotFound },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      const { instance } = await sessionInstance(deps.kernel, deps.sessions.store, sessionID)
      const ids = deps.sessions.store.descendants(sessionID)
      for (const id of ids) await deps.admission.stop(instance, id)
      deps.sessions.remove(instance, sessionID)
      return reply.code(204).send(null)
    },
  )
}
