import type { FastifyBaseLogger } from 'fastify'

export interface AuthThrottleOptions {
  /** Failed attempts an address may make before its failures are slowed down. */
  freeFailures: number
  /** Delay of the first slowed failure; each next one doubles it, up to `maxDelayMs`. */
  baseDelayMs: number
  maxDelayMs: number
  /** At this many failures the address is refused (429) for `blockMs`, doubled for each further block, up to `maxBlockMs`. */
  blockAfter: number
  blockMs: number
  maxBlockMs: number
  /** An address without a failure for this long starts afresh. */
  forgetAfterMs: number
  /** Addresses remembered at most (the least recently failing is forgotten first). */
  maxAddresses: number
}

export const DEFAULT_AUTH_THROTTLE: AuthThrottleOptions = {
  freeFailures: 5,
  baseDelayMs: 250,
  maxDelayMs: 4000,
  blockAfter: 10,
  blockMs: 60_000,
  maxBlockMs: 15 * 60_000,
  forgetAfterMs: 15 * 60_000,
  maxAddresses: 10_000,
}

interface Failures {
  count: number
  last: number
  blockedUntil: number
  blocks: number
}

/**
 * Failed authentications per client address: the first few cost nothing, then each failed
 * answer is delayed (doubling), then the address is refused for a while without its credentials
 * being checked at all (so parallel guesses gain nothing). Correct credentials are never
 * delayed, and other addresses are not affected. Any authentication path (Basic/Bearer on every
 * request, a login route) asks `check(address)` first and reports `failed(address)`.
 */
export class AuthThrottle {
  private readonly addresses = new Map<string, Failures>()
  private readonly options: AuthThrottleOptions

  constructor(
    private readonly log: FastifyBaseLogger,
    options: Partial<AuthThrottleOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_AUTH_THROTTLE, ...options }
  }

  /** Seconds the address must wait before its credentials are checked again, or 0. */
  check(address: string): number {
    const entry = this.current(address)
    if (!entry || entry.blockedUntil <= this.now()) return 0
    return Math.max(1, Math.ceil((entry.blockedUntil - this.now()) / 1000))
  }

  /** Records a failed attempt; answers how long to hold the failed answer back (ms). */
  failed(address: string): number {
    const now = this.now()
    const entry = this.current(address) ?? { count: 0, last: now, blockedUntil: 0, blocks: 0 }
    entry.count++
    entry.last = now
    // Re-inserted: the map's order is least recently failing first.
    this.addresses.delete(address)
    this.addresses.set(address, entry)
    while (this.addresses.size > this.options.maxAddresses)
      this.addresses.delete(this.addresses.keys().next().value as string)

    const { freeFailures, baseDelayMs, maxDelayMs, blockAfter, blockMs, maxBlockMs } = this.options
    if (entry.count === freeFailures + 1)
      this.log.warn({ address, failures: entry.count }, 'repeated failed authentication: slowing this client down')
    if (entry.count >= blockAfter) {
      entry.blockedUntil = now + Math.min(blockMs * 2 ** entry.blocks, maxBlockMs)
      entry.blocks++
      // The next block is longer; the next attempts after it are slowed again at once.
      entry.count = freeFailures
      return 0
    }
    if (entry.count <= freeFailures) return 0
    return Math.min(baseDelayMs * 2 ** (entry.count - freeFailures - 1), maxDelayMs)
  }

  /** Addresses currently remembered (for tests and metrics). */
  get size(): number {
    return this.addresses.size
  }

  private current(address: string): Failures | undefined {
    const entry = this.addresses.get(address)
    if (!entry) return undefined
    if (entry.blockedUntil <= this.now() && this.now() - entry.last > this.options.forgetAfterMs) {
      this.addresses.delete(address)
      return undefined
    }
    return entry
  }
}
