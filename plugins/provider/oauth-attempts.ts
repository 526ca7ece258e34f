// OAuth logins started from `/api/integration/{id}/connect/oauth`: bounded, expiring attempts
// whose credential is stored through `Integrations` once the plugin's callback answers.
import { InvalidRequestError, ascendingId, type Instance } from '../../sdk/index.js'
import type { Static } from 'typebox'
import type { OAuthAuthorization, OAuthCredentials } from '../../sdk/provider.js'
import { AuthorizationFailedError, IntegrationAttemptNotFoundError } from './errors.js'
import { oauthMethodIDs, type Integrations } from './integrations.js'
import type { IntegrationAttempt, IntegrationAttemptStatus } from './integration-schemas.js'

/** How long an OAuth attempt waits for its code or callback (OpenCode: 10 minutes). */
export const ATTEMPT_TTL_MS = 10 * 60 * 1000
/** Attempts kept at most; the oldest are forgotten first (a finished one stays readable for another TTL). */
export const MAX_ATTEMPTS = 100

type AttemptStatus = Static<typeof IntegrationAttemptStatus>

interface Attempt {
  id: string
  integrationID: string
  methodID: string
  label: string
  authorization: OAuthAuthorization
  instance: Instance
  status: 'pending' | 'complete' | 'failed'
  message?: string
  created: number
  expires: number
  /** The token exchange under way (auto mode from the start, code mode once completed). */
  exchange?: Promise<void>
}

const failure = (error: unknown) => (error instanceof Error && error.message ? error.message : 'The login failed')

/** How `complete` treats an attempt: 2.1's paths name the integration and refuse `auto` attempts. */
export interface CompleteOptions {
  integrationID?: string
  /** 1.18's path waits for an `auto` login; 2.1's answers 400 (an auto login finishes on its own). */
  awaitAuto: boolean
}

export class OAuthAttempts {
  private readonly attempts = new Map<string, Attempt>()

  constructor(
    private readonly integrations: Pick<Integrations, 'get' | 'oauthMethods' | 'storeLogin'>,
    private readonly limits = { ttlMs: ATTEMPT_TTL_MS, max: MAX_ATTEMPTS },
  ) {}

  /** Starts a login; an unknown method or one the plugin refuses is a 400. */
  async start(
    instance: Instance,
    integrationID: string,
    methodID: string,
    inputs: Record<string, string>,
    label: string | undefined,
  ): Promise<Static<typeof IntegrationAttempt>> {
    await this.integrations.get(instance, integrationID)
    const methods = this.integrations.oauthMethods(integrationID)
    const ids = oauthMethodIDs(methods)
    const method = methods[ids.indexOf(methodID)]
    if (!method) {
      const offered = ids.length ? `: ${ids.map((id) => JSON.stringify(id)).join(', ')}` : ' (it has none)'
      throw new InvalidRequestError(
        `Integration ${integrationID} has no OAuth method ${JSON.stringify(methodID)}${offered}`,
        { kind: 'Payload', field: 'methodID' },
      )
    }
    let authorization: OAuthAuthorization
    try {
      authorization = await method.authorize({ instance, inputs })
    } catch (error) {
      throw new AuthorizationFailedError(`Authentication failed: ${failure(error)}`)
    }
    const now = Date.now()
    const attempt: Attempt = {
      id: ascendingId('con'),
      integrationID,
      methodID,
      label: label ?? method.label,
      authorization,
      instance,
      status: 'pending',
      created: now,
      expires: now + this.limits.ttlMs,
    }
    this.remember(attempt)
    // An `auto` login finishes on its own (the plugin's callback waits for the browser's redirect).
    if (authorization.method === 'auto') attempt.exchange = this.exchange(attempt, undefined)
    return {
      attemptID: attempt.id,
      url: authorization.url,
      instructions: authorization.instructions,
      mode: authorization.method,
      time: { created: attempt.created, expires: attempt.expires },
    }
  }

  private remember(attempt: Attempt): void {
    const now = attempt.created
    for (const [id, old] of this.attempts) if (old.expires + this.limits.ttlMs < now) this.attempts.delete(id)
    while (this.attempts.size >= this.limits.max) this.attempts.delete(this.attempts.keys().next().value!)
    this.attempts.set(attempt.id, attempt)
  }

  private find(attemptID: string, integrationID?: string): Attempt {
    const attempt = this.attempts.get(attemptID)
    if (!attempt || (integrationID !== undefined && attempt.integrationID !== integrationID))
      throw new IntegrationAttemptNotFoundError(attemptID, integrationID)
    return attempt
  }

  status(attemptID: string, integrationID?: string): AttemptStatus {
    const attempt = this.find(attemptID, integrationID)
    const time = { created: attempt.created, expires: attempt.expires }
    if (attempt.status === 'failed') return { status: 'failed', message: attempt.message ?? 'The login failed', time }
    if (attempt.status === 'pending' && Date.now() > attempt.expires) return { status: 'expired', time }
    return { status: attempt.status, time }
  }

  /** Forgets an attempt; a result that arrives later is dropped. Unknown ids are fine (as OpenCode). */
  cancel(attemptID: string, integrationID?: string): void {
    const attempt = this.attempts.get(attemptID)
    if (attempt && (integrationID === undefined || attempt.integrationID === integrationID))
      this.attempts.delete(attemptID)
  }

  /**
   * Finishes an attempt: a `code` login exchanges the code, an `auto` one is awaited (1.18's
   * path) or refused (2.1's). Answers once the credential is stored; a failed, expired or
   * cancelled attempt is a 400 / 404.
   */
  async complete(attemptID: string, code: string | undefined, options: CompleteOptions): Promise<void> {
    const attempt = this.find(attemptID, options.integrationID)
    if (attempt.authorization.method === 'auto' && !options.awaitAuto)
      throw new AuthorizationFailedError(
        `OAuth attempt ${attemptID} finishes on its own in the browser: poll its status instead of completing it`,
      )
    if (attempt.status === 'pending' && !attempt.exchange) {
      if (Date.now() > attempt.expires)
        throw new AuthorizationFailedError(`OAuth attempt ${attemptID} has expired: start a new one`)
      if (code === undefined)
        throw new InvalidRequestError(`OAuth attempt ${attemptID} needs the code the provider showed`, {
          kind: 'Payload',
          field: 'code',
        })
      attempt.exchange = this.exchange(attempt, code)
    }
    if (attempt.exchange) await this.bounded(attempt)
    const status = this.status(attemptID)
    if (status.status === 'failed') throw new AuthorizationFailedError(`Authentication failed: ${status.message}`)
    if (status.status !== 'complete')
      throw new AuthorizationFailedError(
        `OAuth attempt ${attemptID} has ${status.status === 'expired' ? 'expired: start a new one' : 'not finished'}`,
      )
  }

  /** The attempt's exchange, given up on (not cancelled: the plugin's callback has no abort) at its expiry. */
  private async bounded(attempt: Attempt): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const expiry = new Promise<void>(
      (resolve) => (timer = setTimeout(resolve, Math.max(0, attempt.expires - Date.now()) + 1).unref()),
    )
    try {
      await Promise.race([attempt.exchange, expiry])
    } finally {
      clearTimeout(timer)
    }
  }

  private async exchange(attempt: Attempt, code: string | undefined): Promise<void> {
    let result: OAuthCredentials
    try {
      result = await attempt.authorization.callback(code)
    } catch (error) {
      if (attempt.status === 'pending')
        Object.assign(attempt, { status: 'failed', message: failure(error), exchange: undefined })
      return
    }
    // Cancelled, evicted or expired meanwhile: the credential is not stored.
    if (this.attempts.get(attempt.id) !== attempt || attempt.status !== 'pending' || Date.now() > attempt.expires)
      return
    attempt.status = 'complete'
    this.integrations.storeLogin(attempt.instance, attempt.integrationID, result, {
      label: attempt.label,
      methodID: attempt.methodID,
    })
  }
}
