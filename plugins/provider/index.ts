import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { CredentialStore, SHARED_CREDENTIAL_MIGRATIONS, SharedCredentialStore } from './auth.js'
import { Integrations } from './integrations.js'
import { registerProviderRoutes } from './http/routes.js'
import {
  AuthAuthorization,
  AuthInput,
  AuthMethod,
  ConfiguredProviders,
  CredentialNotFoundErrorBody,
  IntegrationAttempt,
  IntegrationAttemptNotFoundErrorBody,
  IntegrationAttemptStatus,
  IntegrationInfo,
  IntegrationNotFoundErrorBody,
  ModelInfoSchema,
  ModelV2Info,
  ProviderInfoSchema,
  ProviderList,
  ProviderNotFoundErrorBody,
  ProviderV2Info,
} from './schemas.js'
import { Providers } from './service.js'
import { registerIntegrationV2Routes } from './http/v2-integrations.js'
import { registerProviderV2Routes } from './http/v2-routes.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = [
  'paths',
  'storage',
  'extensions',
  'env',
  'publish',
  'config',
  'clustered',
] as const satisfies readonly KernelMember[]
export type ProviderKernel = PluginKernel<(typeof needs)[number]>

/** Providers and models (shipped catalogue + config), credentials, OAuth logins, v2 integrations. */
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
      IntegrationNotFoundErrorBody,
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
    const integrations = new Integrations(kernel, providers, credentials)
    app.decorate('providers', providers)
    registerProviderRoutes(app, { kernel, providers, credentials, integrations })
    registerProviderV2Routes(app, providers)
    registerIntegrationV2Routes(app, integrations)
  },
})
