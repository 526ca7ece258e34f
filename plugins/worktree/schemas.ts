import { Type, type Static } from 'typebox'
import { StringEnum, named } from '../../sdk/index.js'

/** A worktree name: it is a folder name and the branch `opencode/<name>`. */
export const WORKTREE_NAME = '^[a-z0-9][a-z0-9._-]{0,63}$'

/** A checkout the server made, as OpenCode's `Worktree`. */
export const Worktree = named(
  'Worktree',
  Type.Object(
    {
      name: Type.String(),
      branch: Type.String({ description: '`opencode/<name>`' }),
      directory: Type.String({ description: "Absolute path, in the server's data directory" }),
    },
    { additionalProperties: false },
  ),
)
export type Worktree = Static<typeof Worktree>

export const WorktreeCreateInput = named(
  'WorktreeCreateInput',
  Type.Object(
    {
      name: Type.Optional(
        Type.String({
          pattern: WORKTREE_NAME,
          description:
            'Lowercase letters, digits, `.`, `_`, `-`; at most 64 characters. Absent: a generated adjective-noun name',
        }),
      ),
      startCommand: Type.Optional(
        Type.String({
          maxLength: 100_000,
          description: "Run with bash in the new worktree after the project's start command (`commands.start`)",
        }),
      ),
    },
    { additionalProperties: false },
  ),
)
export type WorktreeCreateInput = Static<typeof WorktreeCreateInput>

export const WorktreeRemoveInput = named(
  'WorktreeRemoveInput',
  Type.Object(
    {
      directory: Type.String({
        minLength: 1,
        maxLength: 4096,
        description: 'A directory `POST /experimental/worktree` answered',
      }),
    },
    { additionalProperties: false },
  ),
)
export type WorktreeRemoveInput = Static<typeof WorktreeRemoveInput>

export const WorktreeResetInput = named(
  'WorktreeResetInput',
  Type.Object(
    {
      directory: Type.String({
        minLength: 1,
        maxLength: 4096,
        description: 'A directory `POST /experimental/worktree` answered',
      }),
    },
    { additionalProperties: false },
  ),
)
export type WorktreeResetInput = Static<typeof WorktreeResetInput>

export const WorktreeError = named(
  'WorktreeError',
  Type.Object({
    name: StringEnum([
      'WorktreeNotGitError',
      'WorktreeNameGenerationFailedError',
      'WorktreeCreateFailedError',
      'WorktreeStartCommandFailedError',
      'WorktreeRemoveFailedError',
      'WorktreeResetFailedError',
      'WorktreeListFailedError',
    ]),
    data: Type.Object({ message: Type.String() }, { additionalProperties: true }),
  }),
)

export const WORKTREE_SCHEMAS = [
  Worktree,
  WorktreeCreateInput,
  WorktreeRemoveInput,
  WorktreeResetInput,
  WorktreeError,
] as const
