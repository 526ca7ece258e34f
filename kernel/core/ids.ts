import { randomFillSync } from 'node:crypto'

/**
 * OpenCode-compatible identifiers: `<prefix>_` + 12 hex chars of (ms * 4096 + counter) + 14 base62 chars.
 * Ascending ids sort oldest first; descending ids (sessions) sort newest first.
 */
/** The kernel's own prefixes; plugins may use their own (lower-case letters). */
export type IdPrefix =
  'ses' | 'msg' | 'prt' | 'evt' | 'per' | 'que' | 'pty' | 'tool' | 'wrk' | 'job' | 'err' | 'shr' | (string & {})

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const MASK_48 = (1n << 48n) - 1n

let lastMillis = 0
let counter = 0

// Random bytes are drawn a few kilobytes at a time: one call per id showed in the prompt profile.
const pool = Buffer.allocUnsafe(4096)
let poolOffset = pool.length

function randomBase62(length: number): string {
  if (poolOffset + length > pool.length) {
    randomFillSync(pool)
    poolOffset = 0
  }
  let out = ''
  for (let i = 0; i < length; i++) out += BASE62[pool[poolOffset + i]! % 62]
  poolOffset += length
  return out
}

function timePart(descending: boolean): string {
  const now = Date.now()
  if (now !== lastMillis) {
    lastMillis = now
    counter = 0
  }
  counter++
  let value = (BigInt(now) * 4096n + BigInt(counter)) & MASK_48
  if (descending) value = ~value & MASK_48
  return value.toString(16).padStart(12, '0')
}

export function ascendingId(prefix: IdPrefix): string {
  return `${prefix}_${timePart(false)}${randomBase62(14)}`
}

export function descendingId(prefix: IdPrefix): string {
  return `${prefix}_${timePart(true)}${randomBase62(14)}`
}

/** The creation time (epoch ms modulo 2^36) encoded in an ascending id. */
export function idTimestamp(id: string): number {
  const hex = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 13)
  return Number(BigInt('0x' + hex) / 4096n)
}
