import { Type, type Static } from 'typebox'
import { named } from '../../sdk/index.js'

const namedError = (name: string, data: Record<string, ReturnType<typeof Type.String>> = {}) =>
  Type.Object({
    name: Type.Literal(name),
    data: Type.Object({ message: Type.String(), ...data }, { additionalProperties: true }),
  })

export const WORKSPACE_ID = '^wrk_[A-Za-z0-9]+$'

/** A workspace, as OpenCode's `Workspace`: here always a `worktree` of the project. */
export const Workspace = named(
  'Workspace',
  Type.Object(
    {
      id: Type.String({ pattern: '^wrk' }),
      type: Type.String({ description: 'The adapter that made it: `worktree`' }),
      name: Type.String(),
      branch: Type.Union([Type.String(), Type.Null()]),
      directory: Type.Union([Type.String(), Type.Null()]),
      extra: Type.Union([Type.Unknown(), Type.Null()]),
      projectID: Type.String(),
      timeUsed: Type.Number({ description: 'When it was created or a session last warped into it (epoch ms)' }),
    },
    { additionalProperties: false },
  ),
)
export type Workspace = Static<typeof Workspace>

export const WorkspaceAdapter = Type.Object(
  { type: Type.String(), name: Type.String(), description: Type.String() },
  { additionalProperties: false },
)

export const WorkspaceStatus = named(
  'WorkspaceEventConnectionStatus',
  Type.Object(
    {
      workspaceID: Type.String({ pattern: '^wrk' }),
      status: Type.Union([
        Type.Literal('connected'),
        Type.Literal('connecting'),
        Type.Literal('disconnected'),
        Type.Literal('error'),
      ]),
    },
    { additionalProperties: false },
  ),
)

export const WorkspaceCreateInput = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: WORKSPACE_ID, maxLength: 100 })),
    type: Type.String({ maxLength: 100 }),
    branch: Type.Optional(
      Type.Union([
        Type.String({
          maxLength: 200,
          description: 'The new branch, `opencode/<name>` or `<name>`; absent: a generated name',
        }),
        Type.Null(),
      ]),
    ),
    extra: Type.Optional(Type.Union([Type.Unknown(), Type.Null()])),
  },
  { additionalProperties: false },
)
export type WorkspaceCreateInput = Static<typeof WorkspaceCreateInput>

export const WorkspaceParams = Type.Object({ id: Type.String({ pattern: '^wrk', maxLength: 100 }) })

export const WarpInput = Type.Object(
  {
    id: Type.Union([Type.String({ pattern: WORKSPACE_ID, maxLength: 100 }), Type.Null()], {
      description: 'The workspace; null: the project itself',
    }),
    sessionID: Type.String({ pattern: '^ses', maxLength: 100 }),
    copyChanges: Type.Optional(
      Type.Boolean({
        description: "Copy the uncommitted changes of the session's current checkout into the workspace",
      }),
    ),
  },
  { additionalProperties: false },
)
export type WarpInput = Static<typeof WarpInput>

export const MoveSessionInput = Type.Object(
  {
    sessionID: Type.String({ pattern: '^ses', maxLength: 100 }),
    destination: Type.Object(
      { directory: Type.String({ minLength: 1, maxLength: 4096 }) },
      { additionalProperties: false },
    ),
    moveChanges: Type.Optional(
      Type.Boolean({ description: "Move the uncommitted changes of the session's checkout to the destination's" }),
    ),
  },
  { additionalProperties: false },
)
export type MoveSessionInput = Static<typeof MoveSessionInput>

export const ProjectCopyParams = Type.Object({ projectID: Type.String({ minLength: 1, maxLength: 200 }) })
export const ProjectCopyInput = Type.Object(
  {
    strategy: Type.String({ maxLength: 100, description: 'How to copy: `worktree`' }),
    directory: Type.String({
      minLength: 1,
      maxLength: 4096,
      description: 'A checkout of the project to copy (its HEAD)',
    }),
    name: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
)
export type ProjectCopyInput = Static<typeof ProjectCopyInput>
export const ProjectCopyRemoveInput = Type.Object(
  {
    directory: Type.String({ minLength: 1, maxLength: 4096 }),
    force: Type.Boolean({ description: 'Remove it even with uncommitted changes' }),
  },
  { additionalProperties: false },
)
export type ProjectCopyRemoveInput = Static<typeof ProjectCopyRemoveInput>
export const ProjectCopyNameInput = Type.Object(
  { context: Type.Optional(Type.String({ maxLength: 10_000 })) },
  { additionalProperties: false },
)

export const WorkspaceCreateErrorBody = named('WorkspaceCreateError', namedError('WorkspaceCreateError'))
export const WorkspaceWarpErrorBody = named('WorkspaceWarpError', namedError('WorkspaceWarpError'))
export const MoveSessionErrorBody = named('MoveSessionError', namedError('MoveSessionError'))
export const ProjectCopyErrorBody = named(
  'ProjectCopyError',
  Type.Object({
    name: Type.Literal('ProjectCopyError'),
    data: Type.Object(
      { message: Type.String(), forceRequired: Type.Optional(Type.Boolean()) },
      { additionalProperties: true },
    ),
  }),
)
/** The vcs plugin's error when changes cannot be carried over (not registered here: that plugin owns the name). */
export const ChangesNotAppliedBody = Type.Object({
  name: Type.Literal('VcsApplyError'),
  data: Type.Object({
    message: Type.String(),
    reason: Type.Union([Type.Literal('non-git'), Type.Literal('not-clean')]),
  }),
})

export const WORKSPACE_SCHEMAS = [
  Workspace,
  WorkspaceStatus,
  WorkspaceCreateErrorBody,
  WorkspaceWarpErrorBody,
  MoveSessionErrorBody,
  ProjectCopyErrorBody,
] as const
