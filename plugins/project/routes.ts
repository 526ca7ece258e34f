import { Type } from 'typebox'
import {
  BadRequestErrorBody,
  InstanceQuery,
  NotFoundError,
  NotFoundErrorBody,
  ref,
  type PluginApp,
} from '../../sdk/index.js'
import { Project, ProjectUpdateInput } from './schemas.js'
import type { ProjectService } from './types.js'

// The seed's paths and OpenCode's (`/project`, `/project/current`, `/project/:projectID`) share handlers.
const PATHS = [
  {
    base: '/project/projects',
    ids: { list: 'project.projects.list', current: 'project.projects.current', update: 'project.projects.update' },
  },
  { base: '/project', ids: { list: 'project.list', current: 'project.current', update: 'project.update' } },
]

export function registerProjectRoutes(app: PluginApp, service: ProjectService): void {
  registerProjectPathRoutes(app, service)
  registerRepositoryRoutes(app, service)
}

/** List, current and update, under both the seed's paths and OpenCode's. */
function registerProjectPathRoutes(app: PluginApp, service: ProjectService): void {
  for (const { base, ids } of PATHS) {
    app.get(
      base,
      {
        schema: {
          operationId: ids.list,
          tags: ['project'],
          summary: 'List projects',
          description: 'Every project the server has opened, oldest first.',
          querystring: Type.Object(InstanceQuery),
          response: { 200: Type.Array(ref(Project)) },
        },
      },
      async () => service.list(),
    )

    app.get(
      `${base}/current`,
      {
        schema: {
          operationId: ids.current,
          tags: ['project'],
          summary: 'The current project',
          description: 'The project of the requested directory.',
          querystring: Type.Object(InstanceQuery),
          response: { 200: ref(Project) },
        },
      },
      async (request) => service.current(request.instance),
    )

    app.patch(
      `${base}/:projectID`,
      {
        schema: {
          operationId: ids.update,
          tags: ['project'],
          summary: 'Update a project',
          description:
            'Sets `name`, `icon` and `commands`; `color` (`#rrggbb`) is short for `icon.color`. Publishes `project.updated`.',
          querystring: Type.Object(InstanceQuery),
          params: Type.Object({ projectID: Type.String() }),
          body: ProjectUpdateInput,
          response: { 200: ref(Project), 404: ref(NotFoundErrorBody) },
        },
      },
      async (request) => {
        const { projectID } = request.params
        return service.update(request.instance, projectID, request.body ?? {})
      },
    )
  }
}

/** `git init` and a project's checkouts. */
function registerRepositoryRoutes(app: PluginApp, service: ProjectService): void {
  app.post(
    '/project/git/init',
    {
      schema: {
        operationId: 'project.initGit',
        tags: ['project'],
        summary: 'Initialize git repository',
        description:
          'Runs `git init` in the directory (nothing when it is already in a repository) and answers the refreshed project; `project.updated`. ' +
          "The id stays `global` until a first commit exists. The directory's instances are booted again (their terminals and language servers stop).",
        querystring: Type.Object(InstanceQuery),
        response: { 200: ref(Project), 400: ref(BadRequestErrorBody) },
      },
    },
    async (request) => service.initGit(request.instance),
  )

  app.get(
    '/project/:projectID/directories',
    {
      schema: {
        operationId: 'project.directories',
        tags: ['project'],
        summary: "A project's checkouts",
        description:
          'Its worktree, then its sandboxes (other checkouts of the repository), as `{directory}`. Unknown project: 404.',
        querystring: Type.Object(InstanceQuery),
        params: Type.Object({ projectID: Type.String({ maxLength: 200 }) }),
        response: { 200: Type.Array(Type.Object({ directory: Type.String() })), 404: ref(NotFoundErrorBody) },
      },
    },
    async (request) => {
      const { projectID } = request.params
      const project = service.get(projectID)
      if (!project) throw new NotFoundError(`Project not found: ${projectID}`)
      return [project.worktree, ...project.sandboxes].map((directory) => ({ directory }))
    },
  )
}
