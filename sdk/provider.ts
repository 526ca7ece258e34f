import { defineExtensionPoint } from '../kernel/plugin.js'
import type { Instance } from '../kernel/instance.js'

/** Credentials an OAuth flow ends with; stored in the data dir's auth.json (mode 0600). */
export type OAuthCredentials = { type: 'oauth'; refresh: string; access: string; expires: number } | { type: 'api'; key: string }

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
