// Projects as OpenCode 2.1 shows them (`/api/project*`): the same rows as the 1.x `Project`,
// with the repository root as `canonical` and the time an instance last booted as `time.active`.
import { Type, type Static } from 'typebox'
import { named } from '../../sdk/index.js'
import type { Project } from './schemas.js'

const Icon = Type.Object(
  { url: Type.Optional(Type.String()), override: Type.Optional(Type.String()), color: Type.Optional(Type.String()) },
  { additionalProperties: false },
)

const Commands = Type.Object(
  {
    start: Type.Optional(
      Type.String({ description: 'Startup script to run when creating a new workspace (worktree)' }),
    ),
  },
  { additionalProperties: false },
)

export const ProjectV21 = named(
  'Project21',
  Type.Object(
    {
      id: Type.String({ description: "The repository's root commit; `global` outside git" }),
      canonical: Type.String({ description: 'The main checkout (`/` for the global project)' }),
      vcs: Type.Optional(Type.String()),
      name: Type.Optional(Type.String()),
      icon: Type.Optional(Icon),
      commands: Type.Optional(Commands),
      time: Type.Object(
        {
          created: Type.Integer({ minimum: 0 }),
          updated: Type.Integer({ minimum: 0 }),
          active: Type.Integer({ minimum: 0, description: 'When an instance of the project last booted' }),
        },
        { additionalProperties: false },
      ),
      sandboxes: Type.Array(Type.String(), { description: 'Other checkouts of the repository' }),
    },
    { additionalProperties: false },
  ),
)
export type ProjectV21 = Static<typeof ProjectV21>

export const ProjectUpdateV21Input = Type.Object(
  {
    canonical: Type.Optional(
      Type.String({ minLength: 1, maxLength: 4096, description: 'An existing directory (absolute path)' }),
    ),
    name: Type.Optional(Type.String({ maxLength: 200, description: 'An empty string removes the name' })),
    icon: Type.Optional(Icon),
    commands: Type.Optional(
      Type.Object(
        { start: Type.Optional(Type.String({ maxLength: 100_000, description: 'An empty string removes it' })) },
        { additionalProperties: false, description: 'Replaces the commands: `{}` clears them' },
      ),
    ),
  },
  { additionalProperties: false },
)
export type ProjectUpdateV21Input = Static<typeof ProjectUpdateV21Input>

/** A project as 2.1 shows it; `active` defaults to the last update for rows older than the column. */
export function projectV21(project: Project, active: number | null): ProjectV21 {
  const view: ProjectV21 = {
    id: project.id,
    canonical: project.worktree,
    time: { created: project.time.created, updated: project.time.updated, active: active ?? project.time.updated },
    sandboxes: project.sandboxes,
  }
  if (project.vcs) view.vcs = project.vcs
  if (project.name !== undefined) view.name = project.name
  if (project.icon) view.icon = project.icon
  if (project.commands) view.commands = project.commands
  return view
}

/**
 * What `project.updated` carries: the 1.x project with 2.1's `canonical` and `time.active`
 * added, so that clients of either API read it (both name the event the same).
 */
export function projectEventData(project: Project, active: number | null) {
  return {
    ...project,
    canonical: project.worktree,
    time: { ...project.time, active: active ?? project.time.updated },
  }
}

/** The 404 of a project id nobody opened (identical in the worktree plugin, which answers it too). */
export const ProjectNotFoundErrorBody = named(
  'ProjectNotFoundError',
  Type.Object(
    { _tag: Type.Literal('ProjectNotFoundError'), projectID: Type.String(), message: Type.String() },
    { additionalProperties: false },
  ),
)
