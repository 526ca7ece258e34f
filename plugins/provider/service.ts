import type { ProviderKernel } from './index.js'
import { NamedError, type Instance } from '../../sdk/index.js'
import type { LanguageModel } from 'ai'
import type { CredentialStore } from './auth.js'
import { CATALOG } from './catalog/index.js'
import { createClient, oncePerModel, type ModelFactory } from './clients.js'
import { ProviderModelNotFoundError } from './errors.js'
import { configModel } from './models.js'
import { resolveProviders, type Resolved } from './resolve.js'
import type { ModelInfo, ModelRef, ProviderService } from './types.js'
import { ProviderAuthLoaders } from '../../sdk/provider.js'
import { triggerHook } from '../../sdk/hooks.js'

/**
 * Config `model`: 1.x's `"provider/model"`, or 2.1's `"provider/model#variant"` and
 * `{providerID, model, variant?}` (the variant is the prompt's business, not the default's).
 */
export function configuredModel(value: unknown): ModelRef | undefined {
  if (typeof value === 'string' && value.includes('/')) {
    const slash = value.indexOf('/')
    const modelID = value.slice(slash + 1).replace(/#[^#]*$/, '')
    return modelID ? { providerID: value.slice(0, slash), modelID } : undefined
  }
  const object = value as { providerID?: unknown; model?: unknown } | null
  if (object && typeof object === 'object' && typeof object.providerID === 'string' && typeof object.model === 'string')
    return { providerID: object.providerID, modelID: object.model }
  return undefined
}

/**
 * The providers a project can use: the shipped catalogue merged with config `provider` entries,
 * filtered by `disabled_providers`/`enabled_providers`; connected when credentials exist.
 */
export class Providers implements ProviderService {
  private authVersion = 0
  private readonly clients = new Map<string, { key: string; create: ModelFactory }>()

  constructor(
    private readonly kernel: ProviderKernel,
    private readonly credentials: CredentialStore,
  ) {}

  /** Credentials changed: recompute connections and rebuild SDK clients. */
  credentialsChanged(): void {
    this.authVersion++
    this.clients.clear()
  }

  resolve(instance: Instance): Resolved {
    const config = this.kernel.config(instance)
    const cached = instance.state<{ value?: Resolved }>('provider.resolved', () => ({}))
    if (cached.value && cached.value.config === config && cached.value.authVersion === this.authVersion)
      return cached.value
    const value = resolveProviders(config, this.authVersion, { credentials: this.credentials, env: this.kernel.env })
    cached.value = value
    return value
  }

  async list(instance: Instance) {
    const resolved = this.resolve(instance)
    return { all: resolved.all, default: resolved.defaults, connected: [...resolved.connected] }
  }

  async configured(instance: Instance) {
    const resolved = this.resolve(instance)
    const providers = resolved.all.filter((p) => resolved.connected.has(p.id))
    return {
      providers,
      default: Object.fromEntries(
        providers.flatMap((p) => (resolved.defaults[p.id] ? [[p.id, resolved.defaults[p.id]!]] : [])),
      ),
    }
  }

  /** Whether the provider exists for this instance (catalogue or config, not filtered out). */
  has(instance: Instance, providerID: string): boolean {
    return this.resolve(instance).runtime.has(providerID)
  }

  async model(instance: Instance, ref: ModelRef): Promise<ModelInfo> {
    const resolved = this.resolve(instance)
    const provider = resolved.all.find((p) => p.id === ref.providerID)
    const model = provider?.models[ref.modelID]
    if (model) return model
    const runtime = resolved.runtime.get(ref.providerID)
    // A custom provider configured without a model list takes any model id.
    if (provider && runtime?.anyModel)
      return configModel({
        providerID: ref.providerID,
        npm: runtime.npm,
        url: runtime.baseURL ?? '',
        id: ref.modelID,
        entry: {},
      })
    throw new ProviderModelNotFoundError(ref.providerID, ref.modelID)
  }

  async languageModel(instance: Instance, ref: ModelRef): Promise<LanguageModel> {
    const model = await this.model(instance, ref)
    const runtime = this.resolve(instance).runtime.get(ref.providerID)!
    const stored = this.credentials.get(ref.providerID)
    const envNames = this.resolve(instance).all.find((p) => p.id === ref.providerID)?.env ?? []
    const envKey = envNames.map((name) => this.kernel.env[name]).find((value) => Boolean(value))
    const apiKey: string | undefined =
      stored?.type === 'api'
        ? stored.key
        : stored?.type === 'oauth'
          ? stored.access
          : stored?.type === 'wellknown'
            ? stored.token
            : (envKey ?? (runtime.options.apiKey as string | undefined))
    const headers: Record<string, string> = {
      ...((runtime.options.headers as Record<string, string> | undefined) ?? {}),
      ...model.headers,
    }
    const loaded = stored ? await this.authLoaderOptions(instance, ref.providerID) : undefined
    if (loaded) {
      // An auth plugin's options (its own `fetch` signing requests) win over the stored key.
      const create = await createClient(this.kernel, {
        providerID: ref.providerID,
        npm: runtime.npm,
        baseURL: typeof loaded.baseURL === 'string' ? loaded.baseURL : runtime.baseURL,
        apiKey: typeof loaded.apiKey === 'string' ? loaded.apiKey : apiKey,
        headers: { ...headers, ...((loaded.headers as Record<string, string>) ?? {}) },
        options: runtime.options,
        fetch: loaded.fetch as typeof fetch | undefined,
      })
      return create(model.api.id)
    }
    const key = JSON.stringify([ref.providerID, runtime.npm, runtime.baseURL, apiKey, headers, this.authVersion])
    const cacheKey = `${instance.directory}\0${ref.providerID}`
    let client = this.clients.get(cacheKey)
    if (!client || client.key !== key) {
      client = {
        key,
        create: oncePerModel(
          await createClient(this.kernel, {
            providerID: ref.providerID,
            npm: runtime.npm,
            baseURL: runtime.baseURL,
            apiKey,
            headers,
            options: runtime.options,
          }),
        ),
      }
      this.clients.set(cacheKey, client)
    }
    return client.create(model.api.id)
  }

  /** The first auth loader's options for a provider with stored credentials. */
  private async authLoaderOptions(
    instance: Instance,
    providerID: string,
  ): Promise<Record<string, unknown> | undefined> {
    const provider = this.resolve(instance).all.find((p) => p.id === providerID)
    for (const loader of this.kernel.extensions.get(ProviderAuthLoaders)) {
      const options = await loader.load({
        instance,
        providerID,
        provider,
        // The active credential only: the provider's others are not the plugin's to see.
        credentials: async () => {
          const stored = this.credentials.get(providerID)
          if (!stored) return undefined
          const { inactive: _inactive, ...active } = stored
          return active
        },
      })
      if (options) return options
    }
    return undefined
  }

  async defaultModel(instance: Instance): Promise<ModelRef> {
    const configured = configuredModel(this.kernel.config(instance).model)
    if (configured) return configured
    const resolved = this.resolve(instance)
    for (const provider of resolved.all) {
      const modelID = resolved.defaults[provider.id]
      if (resolved.connected.has(provider.id) && modelID) return { providerID: provider.id, modelID }
    }
    throw new NamedError('ProviderModelNotFoundError', 400, {
      message:
        'No model available: set "model" in opencode.json or connect a provider (PUT /auth/:providerID or an API key in the environment)',
    })
  }

  async smallModel(instance: Instance, providerID: string): Promise<ModelRef | undefined> {
    const config = this.kernel.config(instance)
    if (typeof config.small_model === 'string' && config.small_model.includes('/')) {
      const slash = config.small_model.indexOf('/')
      return { providerID: config.small_model.slice(0, slash), modelID: config.small_model.slice(slash + 1) }
    }
    const base = CATALOG.find((p) => p.id === providerID)
    const provider = this.resolve(instance).all.find((p) => p.id === providerID)
    const chosen = (
      await triggerHook(
        this.kernel,
        instance,
        'experimental.provider.small_model',
        { provider },
        { model: undefined as { providerID?: string; id?: string; modelID?: string } | undefined },
      )
    ).model
    if (chosen && (chosen.id ?? chosen.modelID))
      return { providerID: chosen.providerID ?? providerID, modelID: (chosen.id ?? chosen.modelID)! }
    const modelID = base?.small.find((id) => provider?.models[id])
    return modelID ? { providerID, modelID } : undefined
  }
}
