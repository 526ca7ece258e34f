// v2 list pages: opaque `{previous, next}` cursors and which way a page walks the ids.
import type { Static } from 'typebox'
import { encodeCursor } from '../../../../sdk/index.js'
import type { Cursors } from './schemas.js'

export interface PageCursor {
  /** The item the page continues from (exclusive). */
  id: string
  order: 'asc' | 'desc'
  direction: 'next' | 'previous'
}

export const isPageCursor = (value: Record<string, unknown>): value is Record<string, unknown> & PageCursor =>
  typeof value.id === 'string' &&
  (value.order === 'asc' || value.order === 'desc') &&
  (value.direction === 'next' || value.direction === 'previous')

/** `{previous, next}` cursors of a page: at its first and last item; `{}` for an empty page. */
export function pageCursors(
  ids: string[],
  order: 'asc' | 'desc',
  extra: Record<string, unknown> = {},
): Static<typeof Cursors> {
  if (ids.length === 0) return {}
  return {
    previous: encodeCursor({ ...extra, id: ids[0], order, direction: 'previous' }),
    next: encodeCursor({ ...extra, id: ids.at(-1), order, direction: 'next' }),
  }
}

/** Where a page walks: the anchor and whether ids grow, from the order and the cursor. */
export function walk(order: 'asc' | 'desc', cursor: PageCursor | undefined, idsAscendWithTime: boolean) {
  // `next` continues in the page's order; `previous` walks back, and the page is turned round.
  const forward = cursor?.direction !== 'previous'
  const newer = (order === 'asc') === forward
  return { anchor: cursor?.id, up: newer === idsAscendWithTime, reverse: !forward }
}
