import { Type, type Static } from 'typebox'
import { StringEnum, named, ref } from '../../sdk/index.js'

const Color = Type.String({ pattern: '^#[0-9a-fA-F]{6}$', description: '`#rrggbb`' })

export const ProjectVcs = named('ProjectVcs', StringEnum(['git']))

export const ProjectIcon = named(
  'ProjectIcon',
  Type.Object(
    {
      url: Type.Optional(Type.String({ description: 'Image found in the project (e.g. its favicon)' })),
      override: Type.Optional(Type.String({ description: 'Icon chosen by the user (an image URL or an icon name)' })),
      color: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
)

export const ProjectCommands = named(
  'ProjectCommands',
  Type.Object(
    { start: Type.Optional(Type.String({ description: 'Command that starts the project' })) },
    { additionalProperties: false },
  ),
)

export const ProjectTime = named(
  'ProjectTime',
  Type.Object(
    {
      created: Type.Integer({ minimum: 0 }),
      updated: Type.Integer({ minimum: 0 }),
      initialized: Type.Optional(Type.Integer({ minimum: 0 })),
    },
    { additionalProperties: false },
  ),
)

/** The keys of `Project`, shared with the `project.updated` event (whose properties are the project). */
export const ProjectProperties = {
  /** The repository's root commit; `global` outside git. */
  id: Type.String(),
  worktree: Type.String({ description: 'The repository root (`/` for the global project)' }),
  vcs: Type.Optional(ref(ProjectVcs)),
  name: Type.Optional(Type.String()),
  icon: Type.Optional(ref(ProjectIcon)),
  commands: Type.Optional(ref(ProjectCommands)),
  time: ref(ProjectTime),
  sandboxes: Type.Array(Type.String(), { description: 'Other worktrees of the same repository' }),
}

export const Project = named('Project', Type.Object(ProjectProperties, { additionalProperties: false }))
export type Project = Static<typeof Project>

/**
 * OpenCode's body (`name`, `icon{url,override,color}`, `commands`), plus the seed's `icon` as a
 * string (stored as `icon.override`) and top-level `color` (stored as `icon.color`).
 */
export const ProjectUpdateInput = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200, description: 'An empty string removes the name' })),
    icon: Type.Optional(
      // Order matters: Fastify's Ajv coerces (null would become "" for the string branch) and
      // reports the first branch's error (the object's, the one worth reading).
      Type.Union([
        Type.Object(
          { url: Type.Optional(Type.String()), override: Type.Optional(Type.String()), color: Type.Optional(Color) },
          { additionalProperties: false },
        ),
        Type.Null({ description: 'Removes the icon' }),
        Type.String({ description: 'An icon name or URL, stored as `icon.override`' }),
      ]),
    ),
    color: Type.Optional(Color),
    commands: Type.Optional(ref(ProjectCommands)),
  },
  { additionalProperties: false },
)
export type ProjectUpdateInput = Static<typeof ProjectUpdateInput>

export const PROJECT_SCHEMAS = [ProjectVcs, ProjectIcon, ProjectCommands, ProjectTime, Project] as const
