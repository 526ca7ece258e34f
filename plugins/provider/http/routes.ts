import { BadRequestError, InstanceQuery, ref, type Instance, type Kernel } from '../../../sdk/index.js'
import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import { ProviderOAuth, type OAuthAuthorization, type ProviderOAuthMethod } from '../../../sdk/provider.js'
import type { Credential, CredentialStore } from '../auth.js'
import type { Integrations } from '../integrations.js'
import {
  AuthAuthorization,
  AuthInput,
  AuthMethod,
  AuthorizeInput,
  CallbackInput,
  ConfiguredProviders,
  ProviderList,
  ProviderParams,
} from '../schemas.js'
import { ProviderNotFoundError } from '../errors.js'
import type { Providers } from '../service.js'

const querystring = Type.Object(InstanceQuery)
/** Started OAuth flows waiting for their callback, per instance and provider; they expire. */
const PENDING_TTL_MS = 10 * 60 * 1000
const MAX_PENDING = 100

/** Only the fields each credential type has: nothing else a client sends reaches auth.json. */
function ownFields(credential: Credential): Credential {
  switch (credential.type) {
    case 'api':
      return { type: 'api', key: credential.key }
    case 'oauth':
      return { type: 'oauth', refresh: credential.refresh, access: credential.access, expires: credential.expires }
    case 'wellknown':
      return { type: 'wellknown', key: credential.key, token: credential.token }
  }
}

export function registerProviderRoutes(
  app: FastifyInstance,
  kernel: Kernel,
  providers: Providers,
  credentials: CredentialStore,
  integrations: Integrations,
): void {
  const oauthMethods = (providerID: string): ProviderOAuthMethod[] =>
    kernel.extensions.get(ProviderOAuth).filter((m) => m.providerID === providerID)
  const pending = new Map<string, { method: number; authorization: OAuthAuthorization; expires: number }>()

  const existing = (instance: Instance, providerID: string) => {
    if (!providers.has(instance, providerID) && oauthMethods(providerID).length === 0)
      throw new ProviderNotFoundError(providerID)
  }

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
            ...oauthMethods(id).map((m) => ({ type: 'oauth' as const, label: m.label })),
            { type: 'api' as const, label: 'API key' },
          ],
        ]),
      )
    },
  )

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
      const { providerID } = request.params as Static<typeof ProviderParams>
      credentials.set(providerID, ownFields(request.body as Credential))
      integrations.changed(request.instance, providerID)
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
      const { providerID } = request.params as Static<typeof ProviderParams>
      const existed = credentials.remove(providerID)
      integrations.changed(request.instance, existed ? providerID : undefined)
      return true
    },
  )

  app.post(
    '/provider/:providerID/oauth/authorize',
    {
      schema: {
        operationId: 'provider.oauth.authorize',
        tags: ['provider'],
        summary: "Start an OAuth login with one of the provider's methods",
        querystring,
        params: ProviderParams,
        body: AuthorizeInput,
        response: { 200: ref(AuthAuthorization) },
      },
    },
    async (request) => {
      const { providerID } = request.params as Static<typeof ProviderParams>
      const body = request.body as Static<typeof AuthorizeInput>
      existing(request.instance, providerID)
      const methods = oauthMethods(providerID)
      if (methods.length === 0) throw new BadRequestError(`Provider ${providerID} has no OAuth login`, 'Params')
      const method = methods[body.method]
      if (!method)
        throw new BadRequestError(
          `Provider ${providerID} has ${methods.length} OAuth method(s); "method" must be below that`,
          'Body',
        )
      const authorization = await method.authorize({ instance: request.instance, inputs: body.inputs ?? {} })
      const now = Date.now()
      for (const [key, entry] of pending) if (entry.expires < now) pending.delete(key)
      if (pending.size >= MAX_PENDING) pending.delete(pending.keys().next().value!)
      pending.set(`${request.instance.directory}\0${providerID}`, {
        method: body.method,
        authorization,
        expires: now + PENDING_TTL_MS,
      })
      return { url: authorization.url, method: authorization.method, instructions: authorization.instructions }
    },
  )

  app.post(
    '/provider/:providerID/oauth/callback',
    {
      schema: {
        operationId: 'provider.oauth.callback',
        tags: ['provider'],
        summary: 'Finish an OAuth login and store its credentials',
        querystring,
        params: ProviderParams,
        body: CallbackInput,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      const { providerID } = request.params as Static<typeof ProviderParams>
      const body = request.body as Static<typeof CallbackInput>
      existing(request.instance, providerID)
      if (oauthMethods(providerID).length === 0)
        throw new BadRequestError(`Provider ${providerID} has no OAuth login`, 'Params')
      const key = `${request.instance.directory}\0${providerID}`
      const started = pending.get(key)
      if (!started || started.expires < Date.now() || started.method !== body.method) {
        throw new BadRequestError(
          `No OAuth login in progress for ${providerID} with method ${body.method}: call authorize first`,
          'Body',
        )
      }
      const result = await started.authorization.callback(body.code)
      pending.delete(key)
      credentials.set(providerID, result)
      integrations.changed(request.instance, providerID)
      return true
    },
  )
}
