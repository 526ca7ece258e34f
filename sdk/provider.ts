import type { LanguageModel } from 'ai'
import { defineExtensionPoint } from '../kernel/core/extensions.js'
import type { Instance } from '../kernel/instances/instance.js'

/** Credentials an OAuth flow ends with; stored in the data dir's auth.json (mode 0600). */
export type OAuthCredentials =
  { type: 'oauth'; refresh: string; access: string; expires: number } | { type: 'api'; key: string }

/** One started authorization: where to send the user, and how to finish. */
export interface OAuthAuthorization {
  url: string
  /** `auto`: the callback completes without a code; `code`: the user pastes a code. */
  method: 'auto' | 'code'
  instructions: string
  callback(code?: string): Promise<OAuthCredentials>
}

/** An OAuth login method a plugin offers for a provider. */
export interface ProviderOAuthMethod {
  providerID: string
  label: string
  authorize(input: { instance: Instance; inputs: Record<string, string> }): Promise<OAuthAuthorization>
}

/**
 * Where plugins register OAuth methods:
 * `kernel.extensions.provide(ProviderOAuth, 'my-plugin', { providerID, label, authorize })`.
 */
export const ProviderOAuth = defineExtensionPoint<ProviderOAuthMethod>('provider.oauth')

/** What a provider package is given to create its client. `apiKey` comes from the stored credentials or the environment. */
export interface ProviderPackageInput {
  providerID: string
  baseURL?: string
  apiKey?: string
  headers: Record<string, string>
  /** The provider's config `options` (secrets included). */
  options: Record<string, unknown>
}

/** A model SDK a plugin brings, for providers whose config names its `npm`. */
export interface ProviderPackage {
  npm: string
  /** The provider's client: a function answering the language model of a model id. */
  create(
    input: ProviderPackageInput,
  ): Promise<(modelID: string) => LanguageModel> | ((modelID: string) => LanguageModel)
}

/**
 * Where plugins add model SDKs beyond the three the server ships:
 * `kernel.extensions.provide(ProviderPackages, 'my-plugin', { npm: 'my-sdk', create })`, then a
 * config provider with `"npm": "my-sdk"` uses it.
 */
export const ProviderPackages = defineExtensionPoint<ProviderPackage>('provider.package')

/** What an auth loader learns: the provider (its models may be edited) and how to read the stored credentials. */
export interface ProviderAuthLoadInput {
  instance: Instance
  providerID: string
  /** The credentials stored for the provider (auth.json). */
  credentials(): Promise<unknown>
  /** The provider as `GET /provider` shows it. */
  provider: unknown
}

/**
 * SDK options for a provider with stored credentials (OpenCode plugins' `auth.loader`): `apiKey`,
 * `baseURL`, `headers` and `fetch` replace the provider's own.
 * `kernel.extensions.provide(ProviderAuthLoaders, 'my-plugin', { load })`.
 */
export interface ProviderAuthLoader {
  load(input: ProviderAuthLoadInput): Promise<Record<string, unknown> | undefined>
}

export const ProviderAuthLoaders = defineExtensionPoint<ProviderAuthLoader>('provider.auth-loader')
