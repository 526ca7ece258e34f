import type { ProjectKernel } from './index.js'
import { execFile } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { dirname, isAbsolute, join, normalize } from 'node:path'
import { Type } from 'typebox'
import {
  ConflictError,
  ConflictErrorBody,
  InvalidRequestError,
  LocationQuery,
  ServiceUnavailableError,
  ServiceUnavailableErrorBody,
  StringEnum,
  findExecutable,
  ref,
  v2Errors,
  type Instance,
  type PluginApp,
} from '../../sdk/index.js'
import { ProjectNotFoundError } from './errors.js'
import type { ProjectService } from './types.js'
import { ProjectNotFoundErrorBody, ProjectUpdateV21Input, ProjectV21 } from './v21-schemas.js'

const config = { v2: true, location: true }

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false
}

/** `canonical` as given, checked: an absolute path of an existing directory (OpenCode 2.1.2 takes anything). */
async function canonicalDirectory(raw: string): Promise<string> {
  const directory = normalize(raw).replace(/(.)\/$/, '$1')
  if (!isAbsolute(raw) || raw.includes('\0') || !(await isDirectory(directory)))
    throw new InvalidRequestError(`Canonical directory must be an existing absolute directory: ${raw}`, {
      kind: 'Payload',
      field: 'canonical',
    })
  return directory
}

/** OpenCode 2.1's `/api/project*`: the same projects as `/project`, as 2.1 shows them. */
export function registerProjectV21Routes(app: PluginApp, kernel: ProjectKernel, service: ProjectService): void {
  app.get(
    '/api/project',
    {
      config,
      schema: {
        operationId: 'project.list',
        tags: ['project'],
        summary: 'List projects',
        description:
          'Every project the server has opened, oldest first (none is ever archived, so `archived` changes nothing).',
        querystring: Type.Object({ archived: Type.Optional(StringEnum(['true', 'false'])) }),
        response: { 200: Type.Array(ref(ProjectV21)), ...v2Errors() },
      },
    },
    async () => service.listV21(),
  )

  app.patch(
    '/api/project/:projectID',
    {
      config,
      schema: {
        operationId: 'project.update',
        tags: ['project'],
        summary: 'Update project',
        description:
          'Merges `name` (empty: removed) and `icon`; replaces `commands` (`{}` clears them); `canonical` moves the main checkout to another existing directory (a missing one is a 400). Publishes `project.updated`.',
        params: Type.Object({ projectID: Type.String({ minLength: 1, maxLength: 200 }) }),
        body: ProjectUpdateV21Input,
        response: { 200: ref(ProjectV21), ...v2Errors({ 404: ref(ProjectNotFoundErrorBody) }) },
      },
    },
    async (request) => {
      const { projectID } = request.params
      if (!service.get(projectID)) throw new ProjectNotFoundError(projectID)
      const input = { ...request.body }
      if (input.canonical !== undefined) input.canonical = await canonicalDirectory(input.canonical)
      const updated = service.updateV21(request.instance, projectID, input)
      if (!updated) throw new ProjectNotFoundError(projectID)
      return updated
    },
  )

  registerVcsInitRoute(app, kernel, service)
}

/** The repository marker (`.git` or `.hg`) in `directory` or above it, if any. */
async function versionedRoot(directory: string): Promise<string | undefined> {
  for (let current = directory; ; current = dirname(current)) {
    for (const marker of ['.git', '.hg']) if (await stat(join(current, marker)).catch(() => undefined)) return current
    if (dirname(current) === current) return undefined
  }
}

function hgInit(hg: string, directory: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(hg, ['init'], { cwd: directory, env, timeout: 30_000 }, (error, _stdout, stderr) =>
      resolve(
        error
          ? String(stderr || error.message)
              .trim()
              .split('\n')[0]
          : undefined,
      ),
    )
  })
}

/** `POST /api/vcs/init`: here because `git init` is the project's (it boots the instance again). */
function registerVcsInitRoute(app: PluginApp, kernel: ProjectKernel, service: ProjectService): void {
  const init = async (instance: Instance, provider: string) => {
    const root = instance.project.vcs === 'git' ? instance.worktree : await versionedRoot(instance.directory)
    if (root !== undefined) throw new ConflictError('Project already has version control', { resource: root })
    if (provider === 'git') return void (await service.initGit(instance))
    const hg = findExecutable('hg', { directory: instance.directory, worktree: instance.directory, env: kernel.env })
    if (!hg)
      throw new InvalidRequestError('Mercurial (hg) is not installed on this server', {
        kind: 'Query',
        field: 'provider',
      })
    const failure = await hgInit(hg, instance.directory, kernel.env)
    if (failure !== undefined) throw new ServiceUnavailableError(`VCS initialization failed: ${failure}`, 'hg')
  }

  app.post(
    '/api/vcs/init',
    {
      config,
      schema: {
        operationId: 'vcs.init',
        tags: ['vcs'],
        summary: 'Initialize VCS repository',
        description:
          '`git init` (the default) or `hg init` in the location, which must not be in a repository yet (409). The location is booted again for git and `project.updated` published. ' +
          'Without Mercurial installed, `provider=hg` is a 400 (OpenCode 2.1.2: 503).',
        querystring: Type.Object({
          ...LocationQuery,
          provider: Type.Optional(Type.String({ description: '`git` (default) or `hg`' })),
        }),
        response: {
          204: Type.Null(),
          ...v2Errors({ 409: ref(ConflictErrorBody), 503: ref(ServiceUnavailableErrorBody) }),
        },
      },
    },
    async (request, reply) => {
      const provider = request.query.provider ?? 'git'
      if (provider !== 'git' && provider !== 'hg')
        throw new InvalidRequestError('Unknown VCS provider', { kind: 'Query', field: 'provider' })
      await init(request.instance, provider)
      return reply.status(204).send(null)
    },
  )
}
