import { Type } from 'typebox'
import {
  BadRequestErrorBody,
  InstanceQuery,
  NotFoundErrorBody,
  optionalBody,
  ref,
  type PluginApp,
} from '../../sdk/index.js'
import type { ProjectCopies } from './copy.js'
import { MoveSessionError } from './errors.js'
import {
  ChangesNotAppliedBody,
  MoveSessionErrorBody,
  MoveSessionInput,
  ProjectCopyErrorBody,
  ProjectCopyInput,
  ProjectCopyNameInput,
  ProjectCopyParams,
  ProjectCopyRemoveInput,
  WarpInput,
  Workspace,
  WorkspaceAdapter,
  WorkspaceCreateErrorBody,
  WorkspaceCreateInput,
  WorkspaceParams,
  WorkspaceStatus,
  WorkspaceWarpErrorBody,
} from './schemas.js'
import { ADAPTERS, type WorkspaceService } from './service.js'

const tags = ['workspace']
const querystring = Type.Object(InstanceQuery)
const badRequest = ref(BadRequestErrorBody)

const copyTags = ['projectCopy']
const copyErrors = Type.Union([ref(ProjectCopyErrorBody), badRequest])

/** `/experimental/workspace…`, moving sessions, and project copies. */
export function registerWorkspaceRoutes(app: PluginApp, workspaces: WorkspaceService, copies: ProjectCopies): void {
  registerWorkspaceListRoutes(app, workspaces)
  registerWorkspaceStateRoutes(app, workspaces)
  registerSessionMoveRoutes(app, workspaces)
  registerCopyRoutes(app, copies)
  registerCopyCleanupRoutes(app, workspaces, copies)
}

/** The adapters, the workspaces, creating one. */
function registerWorkspaceListRoutes(app: PluginApp, workspaces: WorkspaceService): void {
  app.get(
    '/experimental/workspace/adapter',
    {
      schema: {
        operationId: 'experimental.workspace.adapter.list',
        tags,
        summary: 'Workspace adapters',
        description: 'The kinds of workspace this server makes: `worktree` (a git worktree of the project).',
        querystring,
        response: { 200: Type.Array(WorkspaceAdapter) },
      },
    },
    async () => ADAPTERS,
  )

  app.get(
    '/experimental/workspace',
    {
      schema: {
        operationId: 'experimental.workspace.list',
        tags,
        summary: "The project's workspaces",
        querystring,
        response: { 200: Type.Array(ref(Workspace)) },
      },
    },
    async (request) => workspaces.list(request.instance),
  )

  app.post(
    '/experimental/workspace',
    {
      schema: {
        operationId: 'experimental.workspace.create',
        tags,
        summary: 'Create a workspace',
        description:
          '`type: "worktree"`: a sandbox checkout of the project (as `POST /experimental/worktree`) on branch `branch` (`opencode/<name>`; absent: a generated name), answered once it exists; `workspace.ready`. ' +
          'Its id (`wrk_…`, or the one given) then stands for its directory in `?workspace=` and `x-opencode-workspace`. 400 `WorkspaceCreateError` for another type, a taken id or name, outside git.',
        querystring,
        body: WorkspaceCreateInput,
        response: { 200: ref(Workspace), 400: Type.Union([ref(WorkspaceCreateErrorBody), badRequest]) },
      },
    },
    async (request) => workspaces.create(request.instance, request.body),
  )
}

/** Their status, forgetting the gone ones, removing one. */
function registerWorkspaceStateRoutes(app: PluginApp, workspaces: WorkspaceService): void {
  app.get(
    '/experimental/workspace/status',
    {
      schema: {
        operationId: 'experimental.workspace.status',
        tags,
        summary: "Status of the project's workspaces",
        description: '`connected` while the checkout exists, `error` once it is gone.',
        querystring,
        response: { 200: Type.Array(ref(WorkspaceStatus)) },
      },
    },
    async (request) => workspaces.status(request.instance),
  )

  app.post(
    '/experimental/workspace/sync-list',
    {
      schema: {
        operationId: 'experimental.workspace.syncList',
        tags,
        summary: 'Sync the workspace list',
        description: 'Forgets the workspaces whose checkout is gone (`workspace.status` `disconnected`). 204.',
        querystring,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await workspaces.syncList(request.instance)
      return reply.status(204).send(null)
    },
  )

  app.delete(
    '/experimental/workspace/:id',
    {
      schema: {
        operationId: 'experimental.workspace.remove',
        tags,
        summary: 'Remove a workspace',
        description:
          'Removes its checkout (as `DELETE /experimental/worktree`) and answers it; `null` for an id the project does not have.',
        querystring,
        params: WorkspaceParams,
        response: { 200: Type.Union([ref(Workspace), Type.Null()]), 400: badRequest },
      },
    },
    async (request) => workspaces.remove(request.instance, request.params.id),
  )
}

/** Moving a session into a workspace, or to another directory of its project. */
function registerSessionMoveRoutes(app: PluginApp, workspaces: WorkspaceService): void {
  app.post(
    '/experimental/workspace/warp',
    {
      schema: {
        operationId: 'experimental.workspace.warp',
        tags,
        summary: 'Move a session into a workspace',
        description:
          "The session now works in the workspace's checkout (`id: null`: the project's own); `session.updated`, `session.next.moved`. " +
          "`copyChanges` copies the uncommitted changes of the session's checkout there first (400 `VcsApplyError` when they do not apply; nothing changes). Unknown workspace or session: 404. 204.",
        querystring,
        body: WarpInput,
        response: {
          204: Type.Null(),
          400: Type.Union([ref(WorkspaceWarpErrorBody), ChangesNotAppliedBody, badRequest]),
          404: ref(NotFoundErrorBody),
        },
      },
    },
    async (request, reply) => {
      const body = request.body
      await workspaces.warp(request.instance, body.id, body.sessionID, body.copyChanges ?? false)
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/experimental/control-plane/move-session',
    {
      schema: {
        operationId: 'experimental.controlPlane.moveSession',
        tags: ['controlPlane'],
        summary: 'Move a session to another directory of its project',
        description:
          "`session.updated` (directory, path) and `session.next.moved {location, subdirectory?}`, published for the destination. `moveChanges` moves the uncommitted changes of the session's checkout to the destination's checkout (checked first; nothing changes when they do not apply). " +
          'Another project, or a directory that does not exist: 400 `MoveSessionError`. Unknown session: 404. 204.',
        querystring,
        body: MoveSessionInput,
        response: {
          204: Type.Null(),
          400: Type.Union([ref(MoveSessionErrorBody), ChangesNotAppliedBody, badRequest]),
          404: ref(NotFoundErrorBody),
        },
      },
    },
    async (request, reply) => {
      const body = request.body
      await workspaces.move(request.instance, body.sessionID, body.destination.directory, {
        changes: body.moveChanges ? 'move' : undefined,
        fail: (message) => new MoveSessionError(message),
      })
      return reply.status(204).send(null)
    },
  )
}

/** A name for a new copy, and making one. */
function registerCopyRoutes(app: PluginApp, copies: ProjectCopies): void {
  app.post(
    '/experimental/project/:projectID/copy/generate-name',
    {
      schema: {
        operationId: 'experimental.projectCopy.generateName',
        tags: copyTags,
        summary: 'A name for a new copy',
        description:
          "An adjective-noun name no copy of the project uses (`clever-comet`). Another project than the request's: 404.",
        querystring,
        params: ProjectCopyParams,
        body: optionalBody(ProjectCopyNameInput),
        response: {
          200: Type.Object({ name: Type.String() }, { additionalProperties: false }),
          400: badRequest,
          404: ref(NotFoundErrorBody),
        },
      },
    },
    async (request) => ({
      name: await copies.generateName(request.instance, request.params.projectID),
    }),
  )

  app.post(
    '/experimental/project/:projectID/copy',
    {
      schema: {
        operationId: 'v2.projectCopy.create',
        tags: copyTags,
        summary: 'Copy a project',
        description:
          '`strategy: "worktree"`: a sandbox checkout of `directory` (a checkout of the project; its HEAD) on `opencode/<name>`, as `POST /experimental/worktree` makes it → `{directory}`. ' +
          'Another strategy, or a directory outside the project: 400 `ProjectCopyError`.',
        querystring,
        params: ProjectCopyParams,
        body: ProjectCopyInput,
        response: {
          200: Type.Object({ directory: Type.String() }, { additionalProperties: false }),
          400: copyErrors,
          404: ref(NotFoundErrorBody),
        },
      },
    },
    async (request) => copies.create(request.instance, request.params.projectID, request.body),
  )
}

/** Removing a copy, and forgetting the gone ones. */
function registerCopyCleanupRoutes(app: PluginApp, workspaces: WorkspaceService, copies: ProjectCopies): void {
  app.delete(
    '/experimental/project/:projectID/copy',
    {
      schema: {
        operationId: 'v2.projectCopy.remove',
        tags: copyTags,
        summary: 'Remove a copy',
        description:
          'Removes a copy the project has (its checkout and branch). Uncommitted changes need `force: true`, else 400 `ProjectCopyError` with `forceRequired`. Any other directory: 400 "directory unavailable". 204.',
        querystring,
        params: ProjectCopyParams,
        body: ProjectCopyRemoveInput,
        response: { 204: Type.Null(), 400: copyErrors, 404: ref(NotFoundErrorBody) },
      },
    },
    async (request, reply) => {
      const body = request.body
      await copies.remove(request.instance, request.params.projectID, body.directory, body.force)
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/experimental/project/:projectID/copy/refresh',
    {
      schema: {
        operationId: 'v2.projectCopy.refresh',
        tags: copyTags,
        summary: "Refresh the project's copies",
        description: 'Forgets workspaces whose checkout is gone, as `/experimental/workspace/sync-list`. 204.',
        querystring,
        params: ProjectCopyParams,
        response: { 204: Type.Null(), 404: ref(NotFoundErrorBody) },
      },
    },
    async (request, reply) => {
      await copies.generateName(request.instance, request.params.projectID)
      await workspaces.syncList(request.instance)
      return reply.status(204).send(null)
    },
  )
}
