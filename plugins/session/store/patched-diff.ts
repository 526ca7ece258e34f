import type { Static } from 'typebox'
import type { FileDiff, SnapshotFileDiff } from '../schemas.js'

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
