// The query of 2.1's usage stats read into numbers: the time zone that cuts days, and the range's
// ends as epoch ms. 2.1.2 answers a bare 500 to anything but a number; these are precise 400s.
import { InvalidRequestError } from '../../../../sdk/index.js'

const DAY_MS = 24 * 60 * 60 * 1000
/** The instants a `Date` can hold (±100,000,000 days around 1970). */
const MAX_TIME = 8.64e15

/** A time zone: its offset from UTC (ms) at an instant. */
export interface Zone {
  offset(time: number): number
}

const OFFSET = /^([+-])(\d{2}):?(\d{2})$/

/** An IANA name (any case, as 2.1.2) or a fixed offset `±HH:MM` / `±HHMM`; undefined if neither. */
function zoneOf(name: string): Zone | undefined {
  const fixed = OFFSET.exec(name)
  if (fixed) {
    const [, sign, hours, minutes] = fixed
    if (Number(hours) > 23 || Number(minutes) > 59) return undefined
    const offset = (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes)) * 60_000
    return { offset: () => offset }
  }
  let format: Intl.DateTimeFormat
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
  } catch {
    return undefined
  }
  return {
    offset(time) {
      const parts: Record<string, number> = {}
      for (const part of format.formatToParts(time)) parts[part.type] = Number(part.value)
      const local = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!)
      return local - Math.floor(time / 1000) * 1000
    },
  }
}

/** The zone named by `?timezone=` (default UTC, as 2.1.2 whatever the server's own zone). */
export function statsZone(name: string | undefined): Zone {
  const zone = zoneOf(name ?? 'UTC')
  if (!zone) throw new InvalidRequestError(`Invalid time zone: ${name}`, { kind: 'Query', field: 'timezone' })
  return zone
}

/** `YYYY-MM-DD`: the day `time` falls on in `zone`. */
export function dayOf(time: number, zone: Zone): string {
  return new Date(time + zone.offset(time)).toISOString().slice(0, 10)
}

/** The longest run of consecutive days among `days` (ascending `YYYY-MM-DD`). */
export function longestStreak(days: readonly string[]): number {
  let longest = 0
  let run = 0
  let previous = Number.NaN
  for (const day of days) {
    const time = Date.parse(day)
    run = time - previous === DAY_MS ? run + 1 : 1
    longest = Math.max(longest, run)
    previous = time
  }
  return longest
}

/** Midnight starting `day` (`YYYY-MM-DD`) in `zone`: the offset of that instant, found in two passes. */
function startOfDay(day: string, zone: Zone): number {
  const utc = Date.parse(day)
  if (Number.isNaN(utc)) return utc
  let time = utc - zone.offset(utc)
  time = utc - zone.offset(time)
  return time
}

const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/
const DATE = /^\d{4}-\d{2}-\d{2}$/
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/

/**
 * An end of the range: epoch ms (what 2.1.2 takes), an ISO 8601 date (midnight starting it in
 * `zone`) or date-time with `Z` or an offset. Empty or absent: undefined (the default applies).
 */
export function statsTime(value: string | undefined, field: 'from' | 'to', zone: Zone): number | undefined {
  if (value === undefined || value === '') return undefined
  const time = NUMBER.test(value)
    ? Number(value)
    : DATE.test(value)
      ? startOfDay(value, zone)
      : DATE_TIME.test(value)
        ? Date.parse(value)
        : Number.NaN
  if (!Number.isFinite(time) || Math.abs(time) > MAX_TIME)
    throw new InvalidRequestError(
      `Expected epoch milliseconds or an ISO 8601 date or date-time with a time zone, got "${value}"`,
      { kind: 'Query', field },
    )
  return time
}
