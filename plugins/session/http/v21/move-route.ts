// `POST /api/session/:sessionID/move`: the session goes on in another directory of its project.
import { statSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { Type } from 'typebox'
import {
  InvalidRequestError,
  StringEnum,
  TaggedError,
  ascendingId,
  ref,
  v2Errors,
  type PluginApp,
} from '../../../../sdk/index.js'
import { loopOf } from '../v2/prompt-routes.js'
import { routeTags as tags, routeConfig as config, SessionParams } from '../v2/route-defaults.js'
import type { SessionV2Deps } from '../v2/routes.js'
import { SessionNotFoundErrorBody } from '../v2/schemas.js'

const BusyBody = Type.Object(
  { _tag: Type.Literal('SessionBusyError'), sessionID: Type.String(), message: Type.String() },
  { additionalProperties: false },
)

const invalid = (message: string) => new InvalidRequestError(message, { kind: 'Payload', field: 'directory' })

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

export function registerMoveRoute(app: PluginApp, deps: SessionV2Deps): void {
  const { kernel, sessions, admission } = deps
  app.post(
    '/api/session/:sessionID/move',
    {
      config,
      schema: {
        operationId: 'session.move',
        tags,
        summary: 'Move session',
        description:
          "The session's next turns run in `directory` (an existing directory of the session's project; else 400), shown as a `location-switched` message. 409 while the session runs.",
        params: SessionParams,
        body: Type.Object(
          {
            directory: Type.String({ minLength: 1, maxLength: 4096 }),
            delivery: Type.Optional(Type.Union([StringEnum(['steer', 'queue']), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...v2Errors({ 404: ref(SessionNotFoundErrorBody), 409: BusyBody }) },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      const instance = await loopOf(deps, sessionID)
      const previous = sessions.get(instance, sessionID)
      // As 2.1: a relative directory is taken from the session's.
      const directory = resolve(previous.directory, request.body.directory)
      if (!isDirectory(directory)) throw invalid(`Directory does not exist: ${directory}`)
      const target = await kernel.instances.get(directory)
      if (target.project.id !== instance.project.id)
        throw invalid(`Directory is outside the session's project: ${directory}`)
      // The loop runs in the session's instance: moving it mid-run would split the run in two.
      if (admission.isBusy(instance, sessionID))
        throw new TaggedError('SessionBusyError', 409, `Session is busy: ${sessionID}`, { sessionID })
      if (previous.directory === target.directory) return reply.code(204).send(null)
      sessions.update(instance, sessionID, (info) => void (info.directory = target.directory), { touch: true })
      const subpath = (dir: string) => relative(target.worktree, dir).split('\\').join('/')
      deps.entries.add(sessionID, {
        id: ascendingId('msg'),
        time: { created: Date.now() },
        type: 'location-switched',
        projectID: target.project.id,
        subpath: subpath(target.directory),
        location: { directory: target.directory },
        previous: { location: { directory: previous.directory }, subpath: subpath(previous.directory) },
      })
      return reply.code(204).send(null)
    },
  )
}
