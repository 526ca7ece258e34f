import { Type, type Static } from 'typebox'
import { StringEnum, named } from '../../sdk/index.js'

export const VcsInfo = named(
  'VcsInfo',
  Type.Object({
    /** The checked-out branch; `null` outside a git repository, `HEAD` when detached. */
    branch: Type.Union([Type.String(), Type.Null()]),
    default_branch: Type.Optional(
      Type.String({
        description: "The branch `GET /vcs/diff?mode=branch` compares with: origin's HEAD, else `main` or `master`",
      }),
    ),
  }),
)

const ChangeStatus = StringEnum(['added', 'deleted', 'modified'] as const)

const counts = {
  file: Type.String({ description: 'Path from the repository root' }),
  additions: Type.Number(),
  deletions: Type.Number(),
}

export const VcsFileStatus = named(
  'VcsFileStatus',
  Type.Object({ ...counts, status: ChangeStatus }, { additionalProperties: false }),
)

export const VcsFileDiff = named(
  'VcsFileDiff',
  Type.Object(
    {
      file: counts.file,
      patch: Type.Optional(
        Type.String({ description: 'The unified diff of this file; left out past 10 MB of patches in one answer' }),
      ),
      additions: counts.additions,
      deletions: counts.deletions,
      status: Type.Optional(ChangeStatus),
    },
    { additionalProperties: false },
  ),
)

export const VcsApplyInput = Type.Object(
  { patch: Type.String({ description: 'A patch as `git apply` reads it' }) },
  { additionalProperties: false },
)
export type VcsApplyInput = Static<typeof VcsApplyInput>

export const VcsApplyErrorBody = named(
  'VcsApplyError',
  Type.Object(
    {
      name: Type.Literal('VcsApplyError'),
      data: Type.Object(
        { message: Type.String(), reason: StringEnum(['non-git', 'not-clean'] as const) },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
)

export const VCS_SCHEMAS = [VcsInfo, VcsFileStatus, VcsFileDiff, VcsApplyErrorBody] as const
