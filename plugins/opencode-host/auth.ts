import { type Instance } from '../../sdk/index.js'
import type { OAuthAuthorization, OAuthCredentials, ProviderOAuthMethod } from '../../sdk/provider.js'
import type { Hooks } from './types.js'

/** One login method of an `auth` hook, as `@opencode-ai/plugin` types it. */
interface AuthMethodDef {
  type: 'oauth' | 'api'
  label: string
  prompts?: { key: string; message?: string; validate?: (value: string) => string | undefined }[]
  authorize?: (inputs?: Record<string, string>) => Promise<{
    url: string
    method: 'auto' | 'code'
    instructions: string
    callback(code?: string): Promise<Record<string, unknown>>
  }>
}

export interface AuthHook {
  provider: string
  methods?: AuthMethodDef[]
  loader?: (getAuth: () => Promise<unknown>, provider: unknown) => Promise<Record<string, unknown> | undefined>
}

/** The `auth` hooks of the loaded plugins; a later plugin wins for the same provider. */
export function authHooks(loaded: readonly { hooks: Hooks }[]): Map<string, AuthHook> {
  const out = new Map<string, AuthHook>()
  for (const { hooks } of loaded) {
    const auth = hooks.auth as AuthHook | undefined
    if (auth && typeof auth === 'object' && typeof auth.provider === 'string') out.set(auth.provider, auth)
  }
  return out
}

/** What a plugin's callback answers, as the credentials the provider plugin stores. */
function credentials(result: Record<string, unknown> | undefined): OAuthCredentials {
  if (!result || result.type === 'failed') throw new Error('The login failed')
  if (typeof result.key === 'string') return { type: 'api', key: result.key }
  if (typeof result.access === 'string')
    return {
      type: 'oauth',
      access: result.access,
      refresh: String(result.refresh ?? ''),
      expires: Number(result.expires ?? 0),
    }
  throw new Error('The login answered no credentials')
}

/**
 * An OAuth method of an `auth` hook as a `ProviderOAuth` contribution (the registry is global; the
 * method is looked up in the asking instance's plugins, by provider and label).
 */
export function oauthMethod(
  providerID: string,
  label: string,
  find: (instance: Instance) => Promise<AuthMethodDef | undefined>,
): ProviderOAuthMethod {
  return {
    providerID,
    label,
    async authorize({ instance, inputs }): Promise<OAuthAuthorization> {
      const method = await find(instance)
      if (!method?.authorize)
        throw new Error(`The login "${label}" for ${providerID} is not offered by this directory's plugins`)
      for (const prompt of method.prompts ?? []) {
        const problem = prompt.validate?.(inputs[prompt.key] ?? '')
        if (problem) throw new Error(problem)
      }
      const started = await method.authorize(inputs)
      return {
        url: started.url,
        method: started.method === 'auto' ? 'auto' : 'code',
        instructions: started.instructions ?? '',
        callback: async (code?: string) => credentials(await started.callback(code)),
      }
    },
  }
}

export type { AuthMethodDef }
