import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { CredentialStore, SHARED_CREDENTIAL_MIGRATIONS, SharedCredentialStore } from './auth.js'
import { CommandAttempts } from './command-attempts.js'
import { CredentialBook } from './credentials.js'
import { Integrations } from './integrations.js'
import { OAuthAttempts } from './oauth-attempts.js'
import { registerProviderRoutes } from './http/routes.js'
import { registerAttemptV21Routes } from './http/v21-attempt-routes.js'
import { registerCredentialV21Routes } from './http/v21-credential-routes.js'
import { registerIntegrationV21Routes } from './http/v21-integration-routes.js'
import { registerProviderV21Routes } from './http/v21-provider-routes.js'
import { registerServiceV21Routes } from './http/v21-service-routes.js'
import {
  CommandAttempt,
  CommandAttemptStatus,
  CredentialEntrySchema,
  CredentialNotFoundErrorBody,
  IntegrationAttempt,
  IntegrationAttemptNotFoundErrorBody,
  IntegrationAttemptStatus,
  IntegrationInfo,
  IntegrationMethodNotFoundErrorBody,
  IntegrationNotFoundErrorBody,
} from './integration-schemas.js'
import {
  AuthAuthorization,
  AuthInput,
  AuthMethod,
  ConfiguredProviders,
  ModelInfoSchema,
  ModelV2Info,
  ProviderInfoSchema,
  ProviderList,
  ProviderNotFoundErrorBody,
  ProviderV2Info,
} from './schemas.js'
import { Providers } from './service.js'
import { WebSearch } from './websearch.js'
import { WellKnownSources } from './wellknown.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = [
  'paths',
  'storage',
  'extensions',
  'env',
  'publish',
  'config',
  'clustered',
  'processes',
] as const satisfies readonly KernelMember[]
export type ProviderKernel = PluginKernel<(typeof needs)[number]>

/** The active stored key of an integration (a key, or a well-known token), if any. */
function storedKey(credentials: CredentialStore, integrationID: string): string | undefined {
  const stored = credentials.get(integrationID)
  return stored?.type === 'api' ? stored.key : stored?.type === 'wellknown' ? stored.token : undefined
}

/**
 * Providers and models (shipped catalogue + config), credentials, OAuth logins, integrations,
 * web search, stateless generation and voice sessions.
 */
export default definePlugin({
  name: 'provider',
  needs,
  register(app, kernel) {
    registerSchemas(app, [
      ModelInfoSchema,
      ProviderInfoSchema,
      ProviderList,
      ConfiguredProviders,
      AuthMethod,
      AuthAuthorization,
      AuthInput,
      ModelV2Info,
      ProviderV2Info,
      ProviderNotFoundErrorBody,
    ])
    registerSchemas(app, [
      IntegrationInfo,
      IntegrationAttempt,
      IntegrationAttemptStatus,
      CommandAttempt,
      CommandAttemptStatus,
      CredentialEntrySchema,
      IntegrationNotFoundErrorBody,
      IntegrationMethodNotFoundErrorBody,
      IntegrationAttemptNotFoundErrorBody,
      CredentialNotFoundErrorBody,
    ])
    let credentials = new CredentialStore(kernel.paths.data)
    let shared: SharedCredentialStore | undefined
    if (kernel.clustered) {
      kernel.storage.migrate('provider', SHARED_CREDENTIAL_MIGRATIONS)
      credentials = shared = new SharedCredentialStore(kernel.paths.data, kernel.storage.db)
    }
    credentials.secure()
    const providers = new Providers(kernel, credentials)
    if (shared) {
      const forget = kernel.storage.onExternalChange((tables) => {
        if (!tables.has('provider_credential')) return
        shared.forget()
        providers.credentialsChanged()
      })
      app.addHook('onClose', async () => forget())
    }
    const sources = new WellKnownSources(kernel)
    const integrations = new Integrations(kernel, providers, new CredentialBook(credentials), sources)
    const oauth = new OAuthAttempts(integrations)
    const commands = new CommandAttempts(kernel, integrations, sources)
    const keyOf = (integrationID: string) => storedKey(credentials, integrationID)
    app.decorate('providers', providers)
    registerProviderRoutes(app, { kernel, providers, integrations })
    registerProviderV21Routes(app, providers)
    registerIntegrationV21Routes(app, { integrations, oauth, commands, sources })
    registerAttemptV21Routes(app, { oauth, commands })
    registerCredentialV21Routes(app, integrations)
    registerServiceV21Routes(app, {
      providers,
      websearch: new WebSearch(kernel, keyOf),
      storedKey: keyOf,
      env: kernel.env,
    })
  },
})
