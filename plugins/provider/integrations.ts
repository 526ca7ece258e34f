import type { ProviderKernel } from './index.js'
import { InvalidRequestError, ascendingId, type Instance } from '../../sdk/index.js'
import type { Static } from 'typebox'
import {
  ProviderOAuth,
  type OAuthAuthorization,
  type OAuthCredentials,
  type ProviderOAuthMethod,
} from '../../sdk/provider.js'
import type { CredentialStore, StoredCredential } from './auth.js'
import {
  AuthorizationFailedError,
  CredentialNotFoundError,
  IntegrationAttemptNotFoundError,
  IntegrationNotFoundError,
} from './errors.js'
import { IntegrationConnectionUpdated, IntegrationUpdated } from './events.js'
import type { IntegrationAttempt, IntegrationAttemptStatus, IntegrationInfo } from './schemas.js'
import type { Providers } from './service.js'

/** How long an OAuth attempt waits for its code or callback (OpenCode: 10 minutes). */
export const ATTEMPT_TTL_MS = 10 * 60 * 1000
/** Attempts kept at most; the oldest are forgotten first (a finished one stays readable for another TTL). */
export const MAX_ATTEMPTS = 100

type Info = Static<typeof IntegrationInfo>
type AttemptStatus = Static<typeof IntegrationAttemptStatus>

interface Attempt {
  id: string
  integrationID: string
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

const DEFAULT_LABELS: Record<StoredCredential['type'], string> = {
  api: 'API key',
  oauth: 'OAuth',
  wellknown: 'Well-known token',
}

/** A credential's id encodes its provider (one credential per provider, as auth.json keeps them). */
export const credentialID = (providerID: string) => `cred_${Buffer.from(providerID).toString('base64url')}`
const providerOfCredential = (id: string) => Buffer.from(id.slice('cred_'.length), 'base64url').toString('utf8')

/** A stable, readable id for each OAuth method of a provider, from its label (`Scripted SSO` → `scripted-sso`). */
export function oauthMethodIDs(methods: readonly ProviderOAuthMethod[]): string[] {
  const taken = new Set<string>()
  return methods.map((method, index) => {
    const base =
      method.label
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '') || `oauth-${index}`
    let id = base
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`
    taken.add(id)
    return id
  })
}

const failure = (error: unknown) => (error instanceof Error && error.message ? error.message : 'The login failed')

/**
 * Integrations (OpenCode v2): the providers a directory knows, how each can be connected (an API
 * key, its env vars, the `ProviderOAuth` methods plugins offer) and what connects it now (the
 * stored credential, env vars that are set). OAuth attempts live here, bounded and expiring.
 */
export class Integrations {
  private readonly attempts = new Map<string, Attempt>()

  constructor(
    private readonly kernel: ProviderKernel,
    private readonly providers: Pick<Providers, 'list' | 'credentialsChanged'>,
    private readonly credentials: CredentialStore,
    private readonly limits = { ttlMs: ATTEMPT_TTL_MS, max: MAX_ATTEMPTS },
  ) {}

  private oauthMethods(providerID: string): ProviderOAuthMethod[] {
    return this.kernel.extensions.get(ProviderOAuth).filter((method) => method.providerID === providerID)
  }

  async list(instance: Instance): Promise<Info[]> {
    const { all } = await this.providers.list(instance)
    const integrations = all.map((provider) => this.view(provider.id, provider.name, provider.env))
    // A plugin may offer a login for a provider the catalogue and config do not know (as v1 `/provider/auth`).
    const loginsOnly = new Set(
      this.kernel.extensions
        .get(ProviderOAuth)
        .map((method) => method.providerID)
        .filter((id) => !all.some((provider) => provider.id === id)),
    )
    return [...integrations, ...[...loginsOnly].map((id) => this.view(id, id, []))]
  }

  /** Throws `IntegrationNotFoundError` for an id neither the providers nor an OAuth method know. */
  async get(instance: Instance, integrationID: string): Promise<Info> {
    const found = (await this.list(instance)).find((integration) => integration.id === integrationID)
    if (!found) throw new IntegrationNotFoundError(integrationID)
    return found
  }

  private view(id: string, name: string, envNames: string[]): Info {
    const oauth = this.oauthMethods(id)
    const ids = oauthMethodIDs(oauth)
    const stored = this.credentials.get(id)
    return {
      id,
      name,
      methods: [
        ...oauth.map((method, index) => ({ id: ids[index]!, type: 'oauth' as const, label: method.label })),
        { type: 'key' as const, label: 'API key' },
        ...(envNames.length ? [{ type: 'env' as const, names: envNames }] : []),
      ],
      connections: [
        ...(stored
          ? [
              {
                type: 'credential' as const,
                id: credentialID(id),
                label: stored.label ?? DEFAULT_LABELS[stored.type] ?? 'Credential',
              },
            ]
          : []),
        ...envNames
          .filter((envName) => Boolean(this.kernel.env[envName]))
          .map((envName) => ({ type: 'env' as const, name: envName })),
      ],
    }
  }

  /** Stores a key the way v1 `PUT /auth/:id` does (it replaces the integration's credential). */
  async connectKey(instance: Instance, integrationID: string, key: string, label: string | undefined): Promise<void> {
    await this.get(instance, integrationID)
    this.store(instance, integrationID, { type: 'api', key, ...(label ? { label } : {}) })
  }

  /** Credentials changed (from v1 or v2): connections are recomputed and clients told. */
  changed(instance: Instance, integrationID: string | undefined): void {
    this.providers.credentialsChanged()
    if (integrationID !== undefined) this.kernel.publish(instance, IntegrationConnectionUpdated, { integrationID })
    this.kernel.publish(instance, IntegrationUpdated, {})
  }

  private store(instance: Instance, integrationID: string, credential: StoredCredential): void {
    this.credentials.set(integrationID, credential)
    this.changed(instance, integrationID)
  }

  /** Throws `CredentialNotFoundError` for an id that names no stored credential. */
  relabel(instance: Instance, id: string, label: string): void {
    const providerID = providerOfCredential(id)
    if (credentialID(providerID) !== id || !this.credentials.relabel(providerID, label))
      throw new CredentialNotFoundError(id)
    this.changed(instance, providerID)
  }

  /** Forgets a stored credential; an unknown id changes nothing (as OpenCode, no error). */
  remove(instance: Instance, id: string): void {
    const providerID = providerOfCredential(id)
    const existed = credentialID(providerID) === id && this.credentials.remove(providerID)
    this.changed(instance, existed ? providerID : undefined)
  }

  async startOAuth(
    instance: Instance,
    integrationID: string,
    methodID: string,
    inputs: Record<string, string>,
    label: string | undefined,
  ): Promise<Static<typeof IntegrationAttempt>> {
    await this.get(instance, integrationID)
    const methods = this.oauthMethods(integrationID)
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

  private find(attemptID: string): Attempt {
    const attempt = this.attempts.get(attemptID)
    if (!attempt) throw new IntegrationAttemptNotFoundError(attemptID)
    return attempt
  }

  status(attemptID: string): AttemptStatus {
    const attempt = this.find(attemptID)
    const time = { created: attempt.created, expires: attempt.expires }
    if (attempt.status === 'failed') return { status: 'failed', message: attempt.message ?? 'The login failed', time }
    if (attempt.status === 'pending' && Date.now() > attempt.expires) return { status: 'expired', time }
    return { status: attempt.status, time }
  }

  /** Forgets an attempt; a result that arrives later is dropped. Unknown ids are fine (as OpenCode). */
  cancel(attemptID: string): void {
    this.attempts.delete(attemptID)
  }

  /**
   * Finishes an attempt: a `code` login exchanges the code, an `auto` one is awaited. Answers once
   * the credential is stored; a failed, expired or cancelled attempt is a 400 / 404.
   */
  async complete(attemptID: string, code: string | undefined): Promise<void> {
    const attempt = this.find(attemptID)
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
    this.store(attempt.instance, attempt.integrationID, { ...ownCredential(result), label: attempt.label })
  }
}

/** Only the fields of each credential type a login may answer. */
function ownCredential(result: OAuthCredentials): StoredCredential {
  return result.type === 'api'
    ? { type: 'api', key: result.key }
    : { type: 'oauth', refresh: result.refresh, access: result.access, expires: result.expires }
}
