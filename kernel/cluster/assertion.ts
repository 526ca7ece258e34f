// What a node tells the owner of an instance about a request it forwards: a short-lived
// assertion signed with the cluster secret (HMAC-SHA256), bound to the request's method and
// path, used once. The secret itself never travels, and neither do the caller's credentials: the
// forwarding node checked them, and the assertion says so.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/** How long an assertion is good for: forwarding is immediate; clocks may differ a little. */
const VALID_MS = 30_000
/** Assertions remembered against replay (each for its validity). */
const MAX_REMEMBERED = 100_000

export interface Assertion {
  /** The forwarding node's id. */
  node: string
  method: string
  /** The path and query the owner receives. */
  path: string
  /** The caller's address, as the forwarding node saw it (failed authentications count there). */
  client: string
  /** The `Host` the caller addressed (the owner checks `Origin` against it). */
  host?: string
  /** The forwarding node authenticated the caller (else the caller came with a ticket to redeem). */
  authenticated: boolean
  expires: number
  nonce: string
}

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest()
}

/** The header value: the assertion (base64url JSON) and its MAC. */
export function signAssertion(
  secret: string,
  assertion: Omit<Assertion, 'expires' | 'nonce'>,
  now = Date.now(),
): string {
  const payload = Buffer.from(
    JSON.stringify({ ...assertion, expires: now + VALID_MS, nonce: randomBytes(12).toString('base64url') }),
  ).toString('base64url')
  return `${payload}.${mac(secret, payload).toString('base64url')}`
}

/** Checks assertions a node receives: MAC, expiry, method and path, and that each is used once. */
export class AssertionVerifier {
  private readonly seen = new Map<string, number>()

  constructor(private readonly secret: string) {}

  /** The assertion, or undefined when it is forged, expired, replayed or for another request. */
  verify(header: unknown, method: string, path: string, now = Date.now()): Assertion | undefined {
    if (typeof header !== 'string' || header.length > 8192) return undefined
    const [payload, signature, extra] = header.split('.')
    if (!payload || !signature || extra !== undefined) return undefined
    const expected = mac(this.secret, payload)
    const given = Buffer.from(signature, 'base64url')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
    let assertion: Assertion
    try {
      assertion = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Assertion
    } catch {
      return undefined
    }
    if (assertion.method !== method || assertion.path !== path) return undefined
    if (!(assertion.expires > now) || assertion.expires > now + 2 * VALID_MS) return undefined
    if (this.seen.has(assertion.nonce)) return undefined
    this.remember(assertion.nonce, assertion.expires, now)
    return assertion
  }

  private remember(nonce: string, expires: number, now: number): void {
    if (this.seen.size >= MAX_REMEMBERED) {
      for (const [key, until] of this.seen) if (until <= now) this.seen.delete(key)
      // Still full: the oldest go (they expire first).
      for (const key of this.seen.keys()) {
        if (this.seen.size < MAX_REMEMBERED) break
        this.seen.delete(key)
      }
    }
    this.seen.set(nonce, expires)
  }
}
