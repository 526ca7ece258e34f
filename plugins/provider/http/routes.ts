import type { ProviderKernel } from '../index.js'
import { InstanceQuery, ProviderOAuth, ref, type PluginApp } from '../../../sdk/index.js'
import { Type } from 'typebox'
import type { Credential } from '../auth.js'
import type { Integrations } from '../integrations.js'
import { AuthInput, AuthMethod, ConfiguredProviders, ProviderList, ProviderParams } from '../schemas.js'
import type { Providers } from '../service.js'
import { oauthMethods, registerOAuthRoutes } from './oauth.js'

const querystring = Type.Object(InstanceQuery)

/** What the v1 provider routes work with. */
export interface ProviderRouteDeps {
  kernel: ProviderKernel
  providers: Providers
  integrations: Integrations
}

/** Only the fields each credential type has: nothing else a client sends reaches auth.json. */
function ownFields(credential: Exclude<Credential, { type: 'external' }>): Credential {
  switch (credential.type) {
    case 'api':
      return { type: 'api', key: credential.key }
    case 'oauth':
      return { type: 'oauth', refresh: credential.refresh, access: credential.access, expires: credential.expires }
    case 'wellknown':
      return { type: 'wellknown', key: credential.key, token: credential.token }
  }
}

/** `/provider…`, `/config/providers`, `/auth/:providerID`: the v1 surface. */
export function registerProviderRoutes(app: PluginApp, deps: ProviderRouteDeps): void {
  registerProviderListRoutes(app, deps)
  registerCredentialRoutes(app, deps)
  registerOAuthRoutes(app, deps)
}

/** The providers, the connected ones and how each can be logged in to. */
function registerProviderListRoutes(app: PluginApp, { kernel, providers }: ProviderRouteDeps): void {
  app.get(
    '/provider',
    {
      schema: {
        operationId: 'provider.list',
        tags: ['provider'],
        summary: 'Every provider, the connected ones, and each default model',
        querystring,
        response: { 200: ref(ProviderList) },
      },
    },
    async (request) => providers.list(request.instance),
  )

  for (const [url, operationId] of [
    ['/config/config/providers', 'config.config.providers'],
    ['/config/providers', 'config.providers'],
  ] as const) {
    app.get(
      url,
      {
        schema: {
          operationId,
          tags: ['config'],
          summary: 'The connected providers and their default models',
          querystring,
          response: { 200: ref(ConfiguredProviders) },
        },
      },
      async (request) => providers.configured(request.instance),
    )
  }

  app.get(
    '/provider/auth',
    {
      schema: {
        operationId: 'provider.auth',
        tags: ['provider'],
        summary: 'How each provider can be logged in to',
        querystring,
        response: { 200: Type.Record(Type.String(), Type.Array(ref(AuthMethod))) },
      },
    },
    async (request) => {
      const { all } = await providers.list(request.instance)
      const ids = new Set([...all.map((p) => p.id), ...kernel.extensions.get(ProviderOAuth).map((m) => m.providerID)])
      return Object.fromEntries(
        [...ids].map((id) => [
          id,
          [
            ...oauthMethods(kernel, id).map((m) => ({ type: 'oauth' as const, label: m.label })),
            { type: 'api' as const, label: 'API key' },
          ],
        ]),
      )
    },
  )
}

/** Storing and forgetting a provider's credentials (never returned). */
function registerCredentialRoutes(app: PluginApp, { integrations }: ProviderRouteDeps): void {
  app.put(
    '/auth/:providerID',
    {
      schema: {
        operationId: 'auth.set',
        tags: ['control'],
        summary: 'Store credentials for a provider (never returned)',
        querystring,
        params: ProviderParams,
        body: ref(AuthInput),
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      integrations.replaceFromV1(request.instance, request.params.providerID, ownFields(request.body))
      return true
    },
  )

  app.delete(
    '/auth/:providerID',
    {
      schema: {
        operationId: 'auth.remove',
        tags: ['control'],
        summary: "Forget a provider's stored credentials",
        querystring,
        params: ProviderParams,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      integrations.forgetFromV1(request.instance, request.params.providerID)
      return true
    },
  )
}
