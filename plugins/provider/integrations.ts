import type { ProviderKernel } from './index.js'
import type { Instance } from '../../sdk/index.js'
import type { Static } from 'typebox'
import { ProviderOAuth, type OAuthCredentials, type ProviderOAuthMethod } from '../../sdk/provider.js'
import type { Credential } from './auth.js'
import type { CredentialBook, CredentialEntry, CredentialInput } from './credentials.js'
import { AuthorizationFailedError, CredentialNotFoundError, IntegrationNotFoundError } from './errors.js'
import { CredentialSwitched, CredentialUpdated, IntegrationConnectionUpdated, IntegrationUpdated } from './events.js'
import type { IntegrationInfo } from './integration-schemas.js'
import type { Providers } from './service.js'
import type { WellKnownSources } from './wellknown.js'
import { WEBSEARCH_PROVIDERS } from './websearch.js'

type Info = Static<typeof IntegrationInfo>
type Method = Info['methods'][number]

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

/** What a change to the credentials did, for the events that say so. */
interface CredentialChange {
  /** A credential was stored, renamed or removed (`credential.updated`). */
  updated?: boolean
  /** The integration's active credential is now this one (`credential.switched`). */
  switched?: string
}

/**
 * Integrations (OpenCode 2.1): the providers a directory knows, the web search services and the
 * well-known sources added at run time; how each can be connected (an API key, its env vars,
 * the `ProviderOAuth` methods plugins offer, a source's login command) and what connects it now
 * (its stored credentials, env vars that are set). Credentials change through here, so every
 * change tells clients (and the providers) once.
 */
export class Integrations {
  constructor(
    private readonly kernel: ProviderKernel,
    private readonly providers: Pick<Providers, 'list' | 'credentialsChanged'>,
    readonly book: CredentialBook,
    private readonly sources: Pick<WellKnownSources, 'list' | 'get'>,
  ) {}

  oauthMethods(providerID: string): ProviderOAuthMethod[] {
    return this.kernel.extensions.get(ProviderOAuth).filter((method) => method.providerID === providerID)
  }

  async list(instance: Instance): Promise<Info[]> {
    const { all } = await this.providers.list(instance)
    const known = new Set(all.map((provider) => provider.id))
    const integrations = all.map((provider) => this.view(provider.id, provider.name, provider.env))
    for (const search of WEBSEARCH_PROVIDERS) {
      if (known.has(search.id)) continue
      known.add(search.id)
      integrations.push(this.view(search.id, search.name, [search.env]))
    }
    // A plugin may offer a login for a provider the catalogue and config do not know (as v1 `/provider/auth`).
    for (const method of this.kernel.extensions.get(ProviderOAuth)) {
      if (known.has(method.providerID)) continue
      known.add(method.providerID)
      integrations.push(this.view(method.providerID, method.providerID, []))
    }
    for (const source of this.sources.list()) {
      if (known.has(source.id)) continue
      const command = { id: 'login', type: 'command' as const, label: 'Log in', command: source.command }
      integrations.push({
        id: source.id,
        name: source.name,
        methods: [command],
        connections: this.credentialsOf(source.id),
      })
    }
    return integrations
  }

  /** Throws `IntegrationNotFoundError` for an id nothing here knows. */
  async get(instance: Instance, integrationID: string): Promise<Info> {
    const found = (await this.list(instance)).find((integration) => integration.id === integrationID)
    if (!found) throw new IntegrationNotFoundError(integrationID)
    return found
  }

  private credentialsOf(integrationID: string): Info['connections'] {
    return this.book.ofIntegration(integrationID).map((entry) => ({
      type: 'credential' as const,
      id: entry.id,
      label: entry.label,
      method: entry.value.type,
    }))
  }

  private view(id: string, name: string, envNames: string[]): Info {
    const oauth = this.oauthMethods(id)
    const ids = oauthMethodIDs(oauth)
    const methods: Method[] = [
      { type: 'key', label: 'API key' },
      ...(envNames.length ? [{ type: 'env' as const, names: envNames }] : []),
      ...oauth.map((method, index) => ({ id: ids[index]!, type: 'oauth' as const, label: method.label })),
    ]
    return {
      id,
      name,
      methods,
      connections: [
        ...this.credentialsOf(id),
        ...envNames
          .filter((envName) => Boolean(this.kernel.env[envName]))
          .map((envName) => ({ type: 'env' as const, name: envName })),
      ],
    }
  }

  /** Stores a key as the integration's new active credential (OpenCode 2.1: a new credential each time). */
  async connectKey(instance: Instance, integrationID: string, key: string, label: string | undefined): Promise<void> {
    const { name } = await this.get(instance, integrationID)
    this.create(instance, { integrationID, label: label ?? name, value: { type: 'key', key } })
  }

  /** No login method here resolves credentials outside the server (2.1's AWS profile, gcloud): always 400. */
  async connectExternal(instance: Instance, integrationID: string, methodID: string): Promise<never> {
    await this.get(instance, integrationID)
    throw new AuthorizationFailedError(`External method not found: ${methodID}`)
  }

  /** `credential.create`: 409 for a taken id. */
  create(instance: Instance, input: CredentialInput): CredentialEntry {
    const entry = this.book.create(input)
    this.changed(instance, input.integrationID, { updated: true, ...(entry.active ? { switched: entry.id } : {}) })
    return entry
  }

  /** Stores what a login ended with as the integration's active credential. */
  storeLogin(
    instance: Instance,
    integrationID: string,
    result: OAuthCredentials,
    meta: { label: string; methodID: string },
  ): void {
    const value =
      result.type === 'api'
        ? { type: 'key' as const, key: result.key }
        : {
            type: 'oauth' as const,
            methodID: meta.methodID,
            refresh: result.refresh,
            access: result.access,
            expires: result.expires,
          }
    this.create(instance, { integrationID, label: meta.label, value })
  }

  /** Throws `CredentialNotFoundError` for an unknown id. */
  relabel(instance: Instance, id: string, label: string): void {
    const entry = this.book.relabel(id, label)
    if (!entry) throw new CredentialNotFoundError(id)
    this.changed(instance, entry.integrationID, { updated: true })
  }

  /** Throws `CredentialNotFoundError` for an unknown id. */
  remove(instance: Instance, id: string): void {
    const removed = this.book.remove(id)
    if (!removed) throw new CredentialNotFoundError(id)
    const switched = removed.promoted?.id
    this.changed(instance, removed.entry.integrationID, { updated: true, ...(switched ? { switched } : {}) })
  }

  /** Throws `CredentialNotFoundError` for an unknown id. */
  activate(instance: Instance, id: string): void {
    const entry = this.book.activate(id)
    if (!entry) throw new CredentialNotFoundError(id)
    this.changed(instance, entry.integrationID, { switched: entry.id })
  }

  /** v1 `PUT /auth/:id` and v1 logins: the provider's active credential is replaced. */
  replaceFromV1(instance: Instance, providerID: string, credential: Credential & { methodID?: string }): void {
    const entry = this.book.replaceActive(providerID, credential)
    this.changed(instance, providerID, { updated: true, switched: entry.id })
  }

  /** v1 `DELETE /auth/:id`: every credential of the provider is forgotten. */
  forgetFromV1(instance: Instance, providerID: string): void {
    const existed = this.book.forget(providerID)
    this.changed(instance, existed ? providerID : undefined, existed ? { updated: true } : {})
  }

  /** Credentials changed: connections are recomputed and clients told (credential events have no location). */
  changed(instance: Instance, integrationID: string | undefined, change: CredentialChange = {}): void {
    this.providers.credentialsChanged()
    if (integrationID !== undefined) this.kernel.publish(instance, IntegrationConnectionUpdated, { integrationID })
    this.kernel.publish(instance, IntegrationUpdated, {})
    if (change.updated) this.kernel.publish('global', CredentialUpdated, {})
    if (change.switched && integrationID !== undefined)
      this.kernel.publish('global', CredentialSwitched, { integrationID, credentialID: change.switched })
  }
}
