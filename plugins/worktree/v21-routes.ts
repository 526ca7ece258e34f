import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import { named, ref, v2Errors, type PluginApp } from '../../sdk/index.js'
import { WorktreeV21Error } from './errors.js'
import type { WorktreeV21Service } from './v21-service.js'

const tags = ['worktree']
const config = { v2: true, location: true }
const ProjectID = Type.String({ minLength: 1, maxLength: 200 })
const AbsolutePath = Type.String({ minLength: 1, maxLength: 4096 })

export const WorktreeDirectory = named(
  'Worktree.Directory',
  Type.Object(
    {
      directory: Type.String(),
      strategy: Type.Optional(Type.String({ description: '`git` for a worktree; absent for the main checkout' })),
    },
    { additionalProperties: false },
  ),
)

export const WorktreeErrorV21Body = named(
  'WorktreeErrorEncoded',
  Type.Object(
    {
      _tag: Type.Literal('WorktreeError'),
      name: Type.Literal('WorktreeError'),
      data: Type.Object(
        {
          message: Type.String(),
          forceRequired: Type.Union([Type.Boolean(), Type.Null()], {
            description: '`true` when only `force` would remove it',
          }),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
)

/** Identical to the project plugin's (both answer it). */
export const ProjectNotFoundErrorBody = named(
  'ProjectNotFoundError',
  Type.Object(
    { _tag: Type.Literal('ProjectNotFoundError'), projectID: Type.String(), message: Type.String() },
    { additionalProperties: false },
  ),
)

export const WORKTREE_V21_SCHEMAS = [WorktreeDirectory, WorktreeErrorV21Body, ProjectNotFoundErrorBody] as const

// v2Errors' own 400 is the InvalidRequestError body.
const errors = v2Errors({
  400: Type.Union([ref(WorktreeErrorV21Body), v2Errors()[400]!]),
  404: ref(ProjectNotFoundErrorBody),
})

/** Runs `work`; a WorktreeError is answered in its own shape (`{_tag, name, data}`). */
async function answer<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof WorktreeV21Error) return reply.status(400).send(error.body)
    throw error
  }
}

/** OpenCode 2.1's `/api/worktree*`: a project's worktrees, by project id. */
export function registerWorktreeV21Routes(app: PluginApp, service: WorktreeV21Service): void {
  app.get(
    '/api/worktree',
    {
      config,
      schema: {
        operationId: 'worktree.list',
        tags,
        summary: 'List worktrees',
        description:
          "The project's saved worktrees (newest first; those whose folder is gone left out), then its main checkout. `[]` for the global project.",
        querystring: Type.Object({ projectID: ProjectID }),
        response: { 200: Type.Array(ref(WorktreeDirectory)), ...errors },
      },
    },
    async (request) => service.list(request.query.projectID),
  )

  app.post(
    '/api/worktree',
    {
      config,
      schema: {
        operationId: 'worktree.create',
        tags,
        summary: 'Create worktree',
        description:
          "A linked git worktree on a new branch `opencode/<name>` (`name` made folder-safe, `-2` … when taken; else a generated one), starting at `branch`, else at the HEAD of `from` (one of the project's checkouts), else at HEAD; " +
          "in `directory` (an existing folder) or the server's data directory. Then the project's `commands.start` runs there (bash, 10 minutes at most). " +
          'When it fails the worktree is removed again and the 400 `WorktreeError` says so (OpenCode 2.1.2 keeps it registered). `worktree.updated`.',
        body: Type.Object(
          {
            projectID: ProjectID,
            name: Type.Optional(Type.String({ maxLength: 200 })),
            branch: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
            directory: Type.Optional(AbsolutePath),
            from: Type.Optional(AbsolutePath),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ directory: Type.String() }, { additionalProperties: false }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { projectID, ...input } = request.body
      return answer(reply, () => service.create(projectID, input))
    },
  )

  registerWorktreeV21RemoveRoutes(app, service)
}

/** Removing one worktree, and rediscovering them all. */
function registerWorktreeV21RemoveRoutes(app: PluginApp, service: WorktreeV21Service): void {
  app.delete(
    '/api/worktree',
    {
      config,
      schema: {
        operationId: 'worktree.remove',
        tags,
        summary: 'Remove worktree',
        description:
          'Removes a worktree of the project (its branch too when it is `opencode/<folder>`); one with changes needs `force: true` (else 400 `forceRequired: true`). ' +
          'The main checkout, or a folder that is not a worktree of the project, is a 400 and left alone. `worktree.updated`.',
        body: Type.Object(
          { projectID: ProjectID, directory: AbsolutePath, force: Type.Boolean() },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const { projectID, directory, force } = request.body
      return answer(reply, async () => {
        await service.remove(projectID, directory, force)
        return reply.status(204).send(null)
      })
    },
  )

  app.post(
    '/api/worktree/refresh',
    {
      config,
      schema: {
        operationId: 'worktree.refresh',
        tags,
        summary: 'Refresh worktrees',
        description:
          "Saves every git worktree of the repository (made here or not) in the project's inventory and forgets saved ones whose folder is gone. `worktree.updated`.",
        body: Type.Object({ projectID: ProjectID }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) =>
      answer(reply, async () => {
        await service.refresh(request.body.projectID)
        return reply.status(204).send(null)
      }),
  )
}
