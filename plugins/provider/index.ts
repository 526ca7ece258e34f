import { definePlugin } from '../../kernel/plugin.js'
import { registerSchemas } from '../../kernel/schemas.js'
import { CredentialStore } from './auth.js'
import { registerProviderRoutes } from './routes.js'
import { AuthAuthorization, AuthInput, AuthMethod, ConfiguredProviders, ModelInfoSchema, ModelV2Info, ProviderInfoSchema, ProviderList, ProviderNotFoundErrorBody, ProviderV2Info } from './schemas.js'
import { Providers } from './service.js'
import { registerProviderV2Routes } from './v2-routes.js'

/** Providers and models (shipped catalogue + config), credentials, OAuth logins. */
export default definePlugin({
  name: 'provider',
  register(app, kernel) {
    registerSchemas(app, [ModelInfoSchema, ProviderInfoSchema, ProviderList, ConfiguredProviders, AuthMethod, AuthAuthorization, AuthInput, ModelV2Info, ProviderV2Info, ProviderNotFoundErrorBody])
    const credentials = new CredentialStore(kernel.paths.data)
    credentials.secure()
    const providers = new Providers(kernel, credentials)
    app.decorate('providers', providers)
    registerProviderRoutes(app, kernel, providers, credentials)
    registerProviderV2Routes(app, providers)
  },
})
