// Fuzzy path matching in the manner of fzf: the query's characters must appear in order
// (case-insensitive); matches at the start of a path segment or word, and runs of consecutive
// characters, score higher; gaps cost a little. The best alignment is found by dynamic
// programming, so `fb` ranks `foo/bar.ts` above `fab.ts`.

const SCORE_MATCH = 16
const GAP_START = -3
const GAP_EXTENSION = -1
const BONUS_SEGMENT = 9 // first character after `/` or of the whole path
const BONUS_BOUNDARY = 8 // after `-`, `_`, `.`, a space; or a delimiter itself
const BONUS_CAMEL = 7 // `fooBar`, `file2`
const BONUS_CONSECUTIVE = 4
const FIRST_CHAR_MULTIPLIER = 2
/** Paths with a hidden segment rank lower unless the query asks for one. */
const HIDDEN_PENALTY = 20
const NONE = -1e9

const enum CharClass {
  Slash,
  Delimiter,
  Lower,
  Upper,
  Digit,
}

function classOf(code: number): CharClass {
  if (code === 47) return CharClass.Slash
  if (code >= 97 && code <= 122) return CharClass.Lower
  if (code >= 65 && code <= 90) return CharClass.Upper
  if (code >= 48 && code <= 57) return CharClass.Digit
  // Letters outside ASCII count as lower case: no camel-case bonus, no boundary.
  if (code > 127) return CharClass.Lower
  return CharClass.Delimiter
}

function bonusFor(previous: CharClass, current: CharClass): number {
  if (current === CharClass.Slash || current === CharClass.Delimiter) return BONUS_BOUNDARY
  if (previous === CharClass.Slash) return BONUS_SEGMENT
  if (previous === CharClass.Delimiter) return BONUS_BOUNDARY
  if (previous === CharClass.Lower && current === CharClass.Upper) return BONUS_CAMEL
  if (previous !== CharClass.Digit && current === CharClass.Digit) return BONUS_CAMEL
  return 0
}

// Scratch rows reused across calls; matching runs synchronously, so nothing else touches them.
let bonusRow = new Int8Array(256)
let previousRow = new Float64Array(256)
let currentRow = new Float64Array(256)

function ensureCapacity(length: number): void {
  if (bonusRow.length >= length) return
  const size = Math.max(length, bonusRow.length * 2)
  bonusRow = new Int8Array(size)
  previousRow = new Float64Array(size)
  currentRow = new Float64Array(size)
}

/**
 * The score of the best alignment of `term` (lower case) in `text` (`lower` = `text` in lower
 * case), or undefined when `term` is not a subsequence of it.
 */
export function scoreTerm(term: string, text: string, lower: string): number | undefined {
  const m = term.length
  const n = text.length
  if (m === 0) return 0
  if (m > n) return undefined
  let found = 0
  for (let j = 0; j < n && found < m; j++) if (lower.charCodeAt(j) === term.charCodeAt(found)) found++
  if (found < m) return undefined

  ensureCapacity(n)
  let previousClass = CharClass.Slash
  for (let j = 0; j < n; j++) {
    const current = classOf(text.charCodeAt(j))
    bonusRow[j] = bonusFor(previousClass, current)
    previousClass = current
  }

  let previous = previousRow
  let current = currentRow
  for (let i = 0; i < m; i++) {
    const code = term.charCodeAt(i)
    // Best score of the previous row ending at k <= j - 2, with the gap up to j paid for.
    let gapped = NONE
    for (let j = 0; j < n; j++) {
      let score = NONE
      if (lower.charCodeAt(j) === code) {
        const bonus = bonusRow[j]!
        if (i === 0) score = SCORE_MATCH + bonus * FIRST_CHAR_MULTIPLIER
        else {
          const diagonal = j > 0 ? previous[j - 1]! : NONE
          if (diagonal > NONE) score = diagonal + SCORE_MATCH + Math.max(bonus, BONUS_CONSECUTIVE)
          if (gapped > NONE) score = Math.max(score, gapped + SCORE_MATCH + bonus)
        }
      }
      current[j] = score
      if (i > 0) {
        const before = j > 0 ? previous[j - 1]! : NONE
        gapped = Math.max(gapped > NONE ? gapped + GAP_EXTENSION : NONE, before > NONE ? before + GAP_START : NONE)
      }
    }
    ;[previous, current] = [current, previous]
  }
  let best = NONE
  for (let j = 0; j < n; j++) if (previous[j]! > best) best = previous[j]!
  return best > NONE ? best : undefined
}

function isHidden(path: string): boolean {
  return path.split('/').some((segment) => segment.length > 1 && segment.startsWith('.'))
}

/** A search query: whitespace-separated terms that must all match. */
export interface FuzzyQuery {
  terms: string[]
  /** The query itself names a hidden segment (`.github`, `src/.env`), so hidden paths are not demoted. */
  wantsHidden: boolean
}

export function parseQuery(query: string): FuzzyQuery {
  const normalized = query.trim().replaceAll('\\', '/').toLowerCase()
  const terms = normalized.split(/\s+/).filter(Boolean)
  return { terms, wantsHidden: terms.some((term) => term.startsWith('.') || term.includes('/.')) }
}

/** The score of `path` for the query, or undefined when a term does not match. */
export function scorePath(query: FuzzyQuery, path: string, lower = path.toLowerCase()): number | undefined {
  let total = 0
  for (const term of query.terms) {
    const score = scoreTerm(term, path, lower)
    if (score === undefined) return undefined
    total += score
  }
  if (!query.wantsHidden && isHidden(path)) total -= HIDDEN_PENALTY
  return total
}

interface Ranked {
  path: string
  score: number
}

// Higher score first, then the shorter path, then code-point order: stable across runs.
function before(a: Ranked, b: Ranked): boolean {
  if (a.score !== b.score) return a.score > b.score
  if (a.path.length !== b.path.length) return a.path.length < b.path.length
  return a.path < b.path
}

/** Paths with their lower-case forms (`lower[i]` = `paths[i].toLowerCase()`), computed once per index. */
export interface PathSource {
  paths: readonly string[]
  lower: readonly string[]
}

/**
 * The `limit` best matches in `sources`, best first. Only the top `limit` are kept while
 * scanning, so a query that matches everything stays cheap.
 */
export function rankPaths(query: FuzzyQuery, sources: readonly PathSource[], limit: number): string[] {
  const top: Ranked[] = []
  for (const { paths, lower } of sources) {
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i]!
      const score = scorePath(query, path, lower[i])
      if (score === undefined) continue
      const entry = { path, score }
      if (top.length === limit && !before(entry, top[top.length - 1]!)) continue
      let low = 0
      let high = top.length
      while (low < high) {
        const middle = (low + high) >> 1
        if (before(top[middle]!, entry)) low = middle + 1
        else high = middle
      }
      top.splice(low, 0, entry)
      if (top.length > limit) top.pop()
    }
  }
  return top.map((entry) => entry.path)
}

/** The first `limit` of already sorted paths, hidden ones after the rest (what an empty query lists). */
export function firstPaths(sorted: readonly string[], limit: number): string[] {
  const visible: string[] = []
  const hidden: string[] = []
  for (const path of sorted) {
    if (!isHidden(path)) {
      visible.push(path)
      if (visible.length === limit) break
    } else if (hidden.length < limit) hidden.push(path)
  }
  return [...visible, ...hidden].slice(0, limit)
}
