import { Type, type Static } from 'typebox'
import { named } from '../../../sdk/index.js'
import type { FileDiff } from '../schemas.js'

/** OpenCode 1.18's file diff, exactly (`GET /session/:id/diff`): the unified patch instead of both contents. */
export const SnapshotFileDiff = named(
  'SnapshotFileDiff',
  Type.Object({
    file: Type.String({ description: 'Path relative to the worktree' }),
    patch: Type.String({ description: 'Unified diff of the file' }),
    additions: Type.Number(),
    deletions: Type.Number(),
    status: Type.Union([Type.Literal('added'), Type.Literal('deleted'), Type.Literal('modified')]),
  }),
)

let diffModule: Promise<typeof import('diff')> | undefined
/** The `diff` package, loaded the first time a patch is made (most requests never need it). */
export const loadDiff = () => (diffModule ??= import('diff'))

/** Our stored diffs (both contents) as OpenCode 1.18 gives them (a unified patch). */
export async function patchedDiffs(
  diffs: readonly Static<typeof FileDiff>[],
): Promise<Static<typeof SnapshotFileDiff>[]> {
  if (diffs.length === 0) return []
  const { createTwoFilesPatch } = await loadDiff()
  return diffs.map((diff) => ({
    file: diff.file,
    patch: createTwoFilesPatch(diff.file, diff.file, diff.before, diff.after),
    additions: diff.additions,
    deletions: diff.deletions,
    status: diff.status ?? 'modified',
  }))
}
