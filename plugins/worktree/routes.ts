import { Type } from 'typebox'
import {
  BadRequestErrorBody,
  InstanceQuery,
  NotFoundErrorBody,
  optionalBody,
  ref,
  type PluginApp,
} from '../../sdk/index.js'
import { Worktree, WorktreeCreateInput, WorktreeError, WorktreeRemoveInput, WorktreeResetInput } from './schemas.js'
import type { WorktreeService } from './service.js'

const tags = ['experimental']
const querystring = Type.Object(InstanceQuery)
const invalid = Type.Union([ref(WorktreeError), ref(BadRequestErrorBody)])

export function registerWorktreeRoutes(app: PluginApp, service: WorktreeService): void {
  app.get(
    '/experimental/worktree',
    {
      schema: {
        operationId: 'worktree.list',
        tags,
        summary: "The project's sandboxes",
        description:
          'Directories of the worktrees this server created for the project that still exist; `[]` outside git.',
        querystring,
        response: { 200: Type.Array(Type.String()), 400: invalid },
      },
    },
    async (request) => service.list(request.instance),
  )

  app.post(
    '/experimental/worktree',
    {
      schema: {
        operationId: 'worktree.create',
        tags,
        summary: 'Create a sandbox',
        description:
          "A linked git worktree of the project's HEAD on a new branch `opencode/<name>`, in the server's data directory; listed in the project's `sandboxes` (`project.updated`). " +
          "Answers at once; then the project's `commands.start` and `startCommand` run there with bash (10 minutes at most) and `worktree.ready` or `worktree.failed` follows, published for the new worktree's directory. " +
          '400 `WorktreeNotGitError` outside git, 400 for a bad name, 409 `WorktreeCreateFailedError` when the name is taken.',
        querystring,
        body: optionalBody(ref(WorktreeCreateInput)),
        response: { 200: ref(Worktree), 400: invalid, 409: ref(WorktreeError) },
      },
    },
    async (request) => service.create(request.instance, request.body ?? {}),
  )

  app.delete(
    '/experimental/worktree',
    {
      schema: {
        operationId: 'worktree.remove',
        tags,
        summary: 'Remove a sandbox',
        description:
          '`git worktree remove --force`, then deletes its branch `opencode/<name>` and drops it from `sandboxes` (`project.updated`). Instances opened inside it are disposed first. ' +
          'Only worktrees this server created for this project: any other directory is 404 and left alone; the main worktree is 400.',
        querystring,
        body: ref(WorktreeRemoveInput),
        response: { 200: Type.Boolean(), 400: invalid, 404: ref(NotFoundErrorBody) },
      },
    },
    async (request) => service.remove(request.instance, request.body.directory),
  )

  app.post(
    '/experimental/worktree/reset',
    {
      schema: {
        operationId: 'worktree.reset',
        tags,
        summary: 'Reset a sandbox to the default branch',
        description:
          "`git reset --hard` to the default branch (origin's as known locally, else `main`/`master`) and `git clean -ffdx` in a worktree this server made for the project: its uncommitted work is lost. Nothing is fetched. " +
          '400 `WorktreeResetFailedError` for the project\'s own checkout ("Cannot reset the primary workspace") or any other directory ("Worktree not found").',
        querystring,
        body: ref(WorktreeResetInput),
        response: { 200: Type.Boolean(), 400: invalid },
      },
    },
    async (request) => service.reset(request.instance, request.body.directory),
  )
}
