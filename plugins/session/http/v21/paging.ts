// 2.1's list pages: cursors as 1.18's (paging.ts), with explicit nulls on an empty page.
import { pageCursors } from '../v2/paging.js'

export function nullableCursors(
  ids: string[],
  order: 'asc' | 'desc',
  extra: Record<string, unknown> = {},
): { previous: string | null; next: string | null } {
  const cursors = pageCursors(ids, order, extra)
  return { previous: cursors.previous ?? null, next: cursors.next ?? null }
}
