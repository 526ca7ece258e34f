import { Type } from 'typebox'
import { BadRequestErrorBody, InstanceQuery, ref, type Instance, type PluginApp } from '../../sdk/index.js'
import { VcsApplyError } from './errors.js'
import { VcsApplyErrorBody, VcsApplyInput, VcsFileDiff, VcsFileStatus, VcsInfo } from './schemas.js'
import { applyPatch, diff, rawDiff, status, type Repository } from './changes.js'
import { currentBranch } from './service.js'

export interface VcsRoutesContext {
  /** The instance's repository; undefined outside git. */
  repository(instance: Instance): Promise<Repository | undefined>
  defaultBranch(instance: Instance): Promise<string | undefined>
}

const BadRequest = { 400: ref(BadRequestErrorBody) }

/** `/vcs…`: the branch, the changed files, their diffs, applying a patch. */
export function registerVcsRoutes(app: PluginApp, context: VcsRoutesContext): void {
  registerStatusRoutes(app, context)
  registerDiffRoutes(app, context)
  registerApplyRoute(app, context)
}

/** The branches and the changed files. */
function registerStatusRoutes(app: PluginApp, context: VcsRoutesContext): void {
  app.get(
    '/vcs',
    {
      schema: {
        operationId: 'vcs.get',
        tags: ['instance'],
        summary: 'Version control status',
        description: 'The checked-out branch (`null` outside git) and the default branch.',
        querystring: Type.Object(InstanceQuery),
        response: { 200: ref(VcsInfo) },
      },
    },
    async (request) => {
      const repo = await context.repository(request.instance)
      if (!repo) return { branch: null }
      const [branch, defaultBranch] = await Promise.all([
        currentBranch(repo.gitDir),
        context.defaultBranch(request.instance),
      ])
      return defaultBranch === undefined
        ? { branch: branch ?? null }
        : { branch: branch ?? null, default_branch: defaultBranch }
    },
  )

  app.get(
    '/vcs/status',
    {
      schema: {
        operationId: 'vcs.status',
        tags: ['instance'],
        summary: 'Get VCS status',
        description:
          'Files changed against HEAD (staged or not, untracked included) with added and deleted lines, by path; `[]` outside git.',
        querystring: Type.Object(InstanceQuery),
        response: { 200: Type.Array(ref(VcsFileStatus)), ...BadRequest },
      },
    },
    async (request) => {
      const repo = await context.repository(request.instance)
      return repo ? status(repo) : []
    },
  )
}

/** Per-file patches, and one raw patch of every uncommitted change. */
function registerDiffRoutes(app: PluginApp, context: VcsRoutesContext): void {
  app.get(
    '/vcs/diff',
    {
      schema: {
        operationId: 'vcs.diff',
        tags: ['instance'],
        summary: 'Get VCS diff',
        description:
          'Per-file patches of the working tree against HEAD (`mode=git`), or against where the branch left the default branch (`mode=branch`, `[]` on the default branch). ' +
          '`context` lines around each change (default: the whole file). `[]` outside git.',
        querystring: Type.Object({
          ...InstanceQuery,
          mode: Type.Union([Type.Literal('git'), Type.Literal('branch')]),
          context: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
        }),
        response: { 200: Type.Array(ref(VcsFileDiff)), ...BadRequest },
      },
    },
    async (request) => {
      const { mode, context: lines } = request.query
      const repo = await context.repository(request.instance)
      return repo ? diff(repo, mode, lines) : []
    },
  )

  app.get(
    '/vcs/diff/raw',
    {
      schema: {
        operationId: 'vcs.diff.raw',
        tags: ['instance'],
        summary: 'Get raw VCS diff',
        description:
          'One patch of the uncommitted changes (untracked and binary files included) that `git apply` or `POST /vcs/apply` takes; empty outside git.',
        querystring: Type.Object(InstanceQuery),
        response: {
          200: { description: 'Raw VCS diff', content: { 'text/x-diff; charset=utf-8': { schema: Type.String() } } },
          ...BadRequest,
        },
      },
    },
    async (request, reply) => {
      const repo = await context.repository(request.instance)
      reply.type('text/x-diff; charset=utf-8')
      return repo ? rawDiff(repo) : ''
    },
  )
}

function registerApplyRoute(app: PluginApp, context: VcsRoutesContext): void {
  app.post(
    '/vcs/apply',
    {
      schema: {
        operationId: 'vcs.apply',
        tags: ['instance'],
        summary: 'Apply VCS patch',
        description:
          'Applies a patch to the working tree, all of it or nothing (`git apply --check` first): `{applied: true}`, else 400 `VcsApplyError` with `reason` `not-clean` (it does not apply) or `non-git`.',
        querystring: Type.Object(InstanceQuery),
        body: VcsApplyInput,
        response: {
          200: Type.Object({ applied: Type.Boolean() }, { additionalProperties: false }),
          400: Type.Union([ref(VcsApplyErrorBody), ref(BadRequestErrorBody)]),
        },
      },
    },
    async (request) => {
      const repo = await context.repository(request.instance)
      if (!repo) throw new VcsApplyError('non-git')
      const result = await applyPatch(repo, request.body.patch)
      if (!result.applied) throw new VcsApplyError('not-clean', result.detail.split('\n')[0])
      return { applied: true }
    },
  )
}
