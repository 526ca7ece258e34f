import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/** How long a pairing code can be redeemed. */
export const PAIRING_CODE_SECONDS = 300
/** How long the token a redeemed code gives stays valid (OpenCode 2.1: 30 days). */
export const PAIRING_TOKEN_SECONDS = 30 * 24 * 60 * 60
/** Codes waiting to be redeemed, at most (the oldest is dropped first). */
const MAX_CODES = 1000

const TOKEN = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/

/**
 * OpenCode 2.1's pairing: `POST /api/pair` issues a one-time code for a link
 * (`/auth/connect/<code>`), which a browser or a client redeems once for a token
 * `<expiry epoch s>.<HMAC>` that is accepted as the password (Basic, `auth_token`) and in the
 * `opencode_session_<port>` cookie.
 *
 * The signing key is derived from the password when there is one: tokens survive a restart, every
 * server sharing the password (a cluster) accepts them, and changing the password revokes them all.
 * Without a password the key is random per process (the tokens are then only good for the cookie
 * redirect: a loopback server without a password needs no credentials).
 */
export class Pairing {
  private readonly key: Buffer
  /** Code → when it expires (ms); a Map keeps issue order, so the first entry is the oldest. */
  private readonly codes = new Map<string, number>()

  constructor(
    password: string | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.key = password
      ? createHmac('sha256', password).update('opencode-kernel pairing token v1').digest()
      : randomBytes(32)
  }

  /** A new single-use code, valid for `PAIRING_CODE_SECONDS`. */
  issue(): { code: string; expires_in: number } {
    const now = this.now()
    for (const [code, expires] of this.codes) if (expires <= now) this.codes.delete(code)
    const code = randomBytes(16).toString('base64url')
    this.codes.set(code, now + PAIRING_CODE_SECONDS * 1000)
    if (this.codes.size > MAX_CODES) this.codes.delete(this.codes.keys().next().value as string)
    return { code, expires_in: PAIRING_CODE_SECONDS }
  }

  /** Redeems `code` once: a fresh token, or undefined when it is unknown, used or expired. */
  redeem(code: string): string | undefined {
    const expires = this.codes.get(code)
    if (expires === undefined) return undefined
    this.codes.delete(code)
    return expires > this.now() ? this.token() : undefined
  }

  /** Codes waiting to be redeemed (expired ones included until the next `issue`). */
  get pending(): number {
    return this.codes.size
  }

  /** A token valid for `PAIRING_TOKEN_SECONDS` from now. */
  token(): string {
    const expiry = String(Math.floor(this.now() / 1000) + PAIRING_TOKEN_SECONDS)
    return `${expiry}.${this.sign(expiry)}`
  }

  /** True for an unexpired token this server (or one with the same password) signed. */
  verify(token: string): boolean {
    const match = TOKEN.exec(token)
    if (!match || Number(match[1]) * 1000 <= this.now()) return false
    return timingSafeEqual(Buffer.from(match[2]!), Buffer.from(this.sign(match[1]!)))
  }

  private sign(expiry: string): string {
    return createHmac('sha256', this.key).update(expiry).digest('base64url')
  }
}
