import type { FastifyRequest } from 'fastify'
import { Type, type TSchema } from 'typebox'
import {
  LocationQuery,
  ServiceUnavailableErrorBody,
  StringEnum,
  named,
  ref,
  v2Errors,
  type PluginApp,
} from '../../sdk/index.js'
import { status } from './changes.js'
import { branchNames, modeDiff, reviewBase } from './review.js'
import type { VcsRoutesContext } from './routes.js'
import { currentBranch } from './service.js'

const tags = ['vcs']
const config = { v2: true, location: true }
const querystring = Type.Object(LocationQuery)

const ChangeStatus = StringEnum(['added', 'deleted', 'modified'])
const counts = {
  file: Type.String({ description: 'Path from the repository root' }),
  additions: Type.Integer({ minimum: 0 }),
  deletions: Type.Integer({ minimum: 0 }),
}

export const VcsInfoV21 = named(
  'Vcs.Info',
  Type.Object(
    {
      provider: Type.Optional(Type.String({ description: '`git`; absent outside a repository' })),
      branch: Type.Object(
        {
          current: Type.Optional(Type.String({ description: 'Absent when detached' })),
          default: Type.Optional(Type.String({ description: "origin's HEAD, else `main` or `master`" })),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
)

export const VcsBase = named(
  'Vcs.Base',
  Type.Object(
    { name: Type.String(), ref: Type.String(), source: StringEnum(['reflog', 'default']) },
    { additionalProperties: false },
  ),
)

export const VcsFileStatusV21 = named(
  'Vcs.FileStatus',
  Type.Object({ ...counts, status: ChangeStatus }, { additionalProperties: false }),
)

export const FileDiffV21 = named(
  'FileDiff.Info',
  Type.Object(
    {
      file: counts.file,
      patch: Type.String({ description: 'Empty past 10 MB of patches in one answer (the counts stay)' }),
      additions: counts.additions,
      deletions: counts.deletions,
      status: ChangeStatus,
    },
    { additionalProperties: false },
  ),
)

export const VCS_V21_SCHEMAS = [VcsInfoV21, VcsBase, VcsFileStatusV21, FileDiffV21] as const

/** OpenCode 2.1's location envelope: `{location: {directory}, data}`. */
function Envelope<T extends TSchema>(data: T) {
  const location = Type.Object({ directory: Type.String() }, { additionalProperties: false })
  return Type.Object({ location, data }, { additionalProperties: false })
}
const envelope = <T>(request: FastifyRequest, data: T) => ({
  location: { directory: request.instance.directory },
  data,
})

/** `/api/vcs*`: the branch, the review base, branch names, changed files and diffs, in 2.1's shapes. */
export function registerVcsV21Routes(app: PluginApp, context: VcsRoutesContext): void {
  registerVcsInfoRoutes(app, context)
  registerVcsChangeRoutes(app, context)
}

function registerVcsInfoRoutes(app: PluginApp, context: VcsRoutesContext): void {
  app.get(
    '/api/vcs',
    {
      config,
      schema: {
        operationId: 'vcs.get',
        tags,
        summary: 'VCS info',
        description: 'The checked-out and default branches; `{branch: {}}` outside git.',
        querystring,
        response: { 200: Envelope(ref(VcsInfoV21)), ...v2Errors() },
      },
    },
    async (request) => {
      const repo = await context.repository(request.instance)
      if (!repo) return envelope(request, { branch: {} })
      const [current, defaultBranch] = await Promise.all([
        currentBranch(repo.gitDir),
        context.defaultBranch(request.instance),
      ])
      const branch: { current?: string; default?: string } = {}
      if (current && current !== 'HEAD') branch.current = current
      if (defaultBranch) branch.default = defaultBranch
      return envelope(request, { provider: 'git', branch })
    },
  )

  app.get(
    '/api/vcs/base',
    {
      config,
      schema: {
        operationId: 'vcs.base',
        tags,
        summary: 'VCS review base',
        description:
          'The default branch while it is checked out (`source: "default"`), else the branch the current one was created from, by its reflog (`"reflog"`). ' +
          '`null` outside git, before the first commit and when detached; 503 "Choose a review base" when neither tells.',
        querystring,
        response: {
          200: Envelope(Type.Union([ref(VcsBase), Type.Null()])),
          ...v2Errors({ 503: ref(ServiceUnavailableErrorBody) }),
        },
      },
    },
    async (request) => {
      const repo = await context.repository(request.instance)
      return envelope(request, repo ? ((await reviewBase(repo)) ?? null) : null)
    },
  )

  app.get(
    '/api/vcs/branch',
    {
      config,
      schema: {
        operationId: 'vcs.branch.list',
        tags,
        summary: 'VCS branches',
        description:
          'Local and remote branch names, sorted; `search` keeps those containing it (any case), `limit` the first ones.',
        querystring: Type.Object({
          ...LocationQuery,
          search: Type.Optional(Type.String({ maxLength: 1000 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
        }),
        response: { 200: Envelope(Type.Array(Type.String())), ...v2Errors() },
      },
    },
    async (request) => {
      const repo = await context.repository(request.instance)
      const { search, limit } = request.query
      return envelope(request, repo ? await branchNames(repo, search, limit) : [])
    },
  )
}

function registerVcsChangeRoutes(app: PluginApp, context: VcsRoutesContext): void {
  app.get(
    '/api/vcs/status',
    {
      config,
      schema: {
        operationId: 'vcs.status',
        tags,
        summary: 'VCS status',
        description:
          'Files changed against HEAD (staged or not, untracked included) with their line counts; `[]` outside git.',
        querystring,
        response: { 200: Envelope(Type.Array(ref(VcsFileStatusV21))), ...v2Errors() },
      },
    },
    async (request) => {
      const repo = await context.repository(request.instance)
      return envelope(request, repo ? await status(repo) : [])
    },
  )

  app.get(
    '/api/vcs/diff',
    {
      config,
      schema: {
        operationId: 'vcs.diff',
        tags,
        summary: 'VCS diff',
        description:
          '`working`: HEAD to the working copy; `branch`: the merge base with `base` (default: the default branch) to the working copy; `committed`: that merge base to HEAD. ' +
          'Untracked files count as added (not in `committed`). `context` lines around each change (default: the whole file). `[]` outside git; an unknown `base` is a 400; no default branch and no `base` is a 503.',
        querystring: Type.Object({
          ...LocationQuery,
          mode: StringEnum(['working', 'branch', 'committed']),
          base: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
          context: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
        }),
        response: {
          200: Envelope(Type.Array(ref(FileDiffV21))),
          ...v2Errors({ 503: ref(ServiceUnavailableErrorBody) }),
        },
      },
    },
    async (request) => {
      const { mode, base, context: lines } = request.query
      const repo = await context.repository(request.instance)
      if (!repo) return envelope(request, [])
      const files = await modeDiff(repo, mode, { base, context: lines })
      return envelope(
        request,
        files.map((file) => ({ ...file, patch: file.patch ?? '', status: file.status ?? 'modified' })),
      )
    },
  )
}
