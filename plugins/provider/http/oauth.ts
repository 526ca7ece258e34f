import type { ProviderKernel } from '../index.js'
import {
  BadRequestError,
  InstanceQuery,
  ProviderOAuth,
  ref,
  type Instance,
  type OAuthAuthorization,
  type OAuthCredentials,
  type PluginApp,
  type ProviderOAuthMethod,
} from '../../../sdk/index.js'
import { Type } from 'typebox'
import { ProviderNotFoundError } from '../errors.js'
import { AuthAuthorization, AuthorizeInput, CallbackInput, ProviderParams } from '../schemas.js'
import { oauthMethodIDs } from '../integrations.js'
import type { ProviderRouteDeps } from './routes.js'

const querystring = Type.Object(InstanceQuery)
/** Started OAuth flows waiting for their callback, per instance and provider; they expire. */
const PENDING_TTL_MS = 10 * 60 * 1000
const MAX_PENDING = 100

type PendingLogins = Map<string, { method: number; authorization: OAuthAuthorization; expires: number }>

/** The OAuth login methods plugins offer for a provider. */
export function oauthMethods(kernel: ProviderKernel, providerID: string): ProviderOAuthMethod[] {
  return kernel.extensions.get(ProviderOAuth).filter((m) => m.providerID === providerID)
}

/** `…/oauth/authorize` then `…/oauth/callback`: a login with one of the provider's OAuth methods. */
export function registerOAuthRoutes(app: PluginApp, deps: ProviderRouteDeps): void {
  const pending: PendingLogins = new Map()
  const existing = (instance: Instance, providerID: string) => {
    if (!deps.providers.has(instance, providerID) && oauthMethods(deps.kernel, providerID).length === 0)
      throw new ProviderNotFoundError(providerID)
  }

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
      const { providerID } = request.params
      const body = request.body
      existing(request.instance, providerID)
      const methods = oauthMethods(deps.kernel, providerID)
      if (methods.length === 0) throw new BadRequestError(`Provider ${providerID} has no OAuth login`, 'Params')
      const method = methods[body.method]
      if (!method)
        throw new BadRequestError(
          `Provider ${providerID} has ${methods.length} OAuth method(s); "method" must be below that`,
          'Body',
        )
      const authorization = await method.authorize({ instance: request.instance, inputs: body.inputs ?? {} })
      remember(pending, `${request.instance.directory}\0${providerID}`, body.method, authorization)
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
      const { providerID } = request.params
      const body = request.body
      existing(request.instance, providerID)
      if (oauthMethods(deps.kernel, providerID).length === 0)
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
      const methodID = oauthMethodIDs(oauthMethods(deps.kernel, providerID))[body.method]
      deps.integrations.replaceFromV1(request.instance, providerID, { ...ownLogin(result), methodID })
      return true
    },
  )
}

/** Keeps a started login until its callback, dropping expired ones and the oldest beyond the cap. */
function remember(pending: PendingLogins, key: string, method: number, authorization: OAuthAuthorization): void {
  const now = Date.now()
  for (const [entry, login] of pending) if (login.expires < now) pending.delete(entry)
  if (pending.size >= MAX_PENDING) pending.delete(pending.keys().next().value!)
  pending.set(key, { method, authorization, expires: now + PENDING_TTL_MS })
}

/** Only the fields of each credential type a login may answer. */
function ownLogin(result: OAuthCredentials): OAuthCredentials {
  return result.type === 'api'
    ? { type: 'api', key: result.key }
    : { type: 'oauth', refresh: result.refresh, access: result.access, expires: result.expires }
}
