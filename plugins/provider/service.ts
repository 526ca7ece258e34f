import { BadRequestError, NamedError, type Instance, type Kernel } from '../../sdk/index.js'
import type { LanguageModel } from 'ai'
import type { CredentialStore } from './auth.js'
import { CATALOG, type CatalogModel, type CatalogProvider } from './catalog/index.js'
import type { ModelInfo, ModelRef, ProviderInfo, ProviderService } from './types.js'
import { ProviderAuthLoaders, ProviderPackages } from '../../sdk/provider.js'
import { triggerHook } from '../../sdk/hooks.js'

export class ProviderModelNotFoundError extends NamedError {
  constructor(providerID: string, modelID: string) {
    super('ProviderModelNotFoundError', 404, {
      message: `Model not found: ${providerID}/${modelID}`,
      providerID,
      modelID,
    })
  }
}

export class ProviderNotFoundError extends NamedError {
  constructor(providerID: string) {
    super('ProviderNotFoundError', 404, { message: `Provider not found: ${providerID}`, providerID })
  }
}

const SUPPORTED_PACKAGES = ['@ai-sdk/openai-compatible', '@ai-sdk/openai', '@ai-sdk/anthropic']
/** Option keys that may carry secrets: never part of a provider as clients see it. */
const SECRET_OPTIONS = new Set(['apiKey', 'headers', 'authToken', 'token'])

type Json = Record<string, any>

interface Resolved {
  all: ProviderInfo[]
  connected: Set<string>
  defaults: Record<string, string>
  /** Everything needed to call a provider, secrets included; stays in the server. */
  runtime: Map<string, { npm: string; baseURL?: string; options: Json; configured: boolean; anyModel: boolean }>
  config: unknown
  authVersion: number
}

/** The reasoning levels a reasoning model offers by default, as provider options per SDK package. */
export function defaultVariants(npm: string, reasoning: boolean): Record<string, Record<string, unknown>> | undefined {
  if (!reasoning) return undefined
  switch (npm) {
    case '@ai-sdk/openai':
    case '@ai-sdk/openai-compatible':
      return {
        low: { reasoningEffort: 'low' },
        medium: { reasoningEffort: 'medium' },
        high: { reasoningEffort: 'high' },
      }
    case '@ai-sdk/anthropic':
      return {
        high: { thinking: { type: 'enabled', budgetTokens: 16_000 } },
        max: { thinking: { type: 'enabled', budgetTokens: 31_999 } },
      }
    default:
      return undefined
  }
}

/** Config `variants` over the defaults: an entry replaces one, `{disabled: true}` removes it. */
function applyVariants(model: ModelInfo, configured: unknown): void {
  const variants: Record<string, Record<string, unknown>> = {
    ...defaultVariants(model.api.npm, model.capabilities.reasoning),
    ...model.variants,
  }
  if (configured && typeof configured === 'object' && !Array.isArray(configured)) {
    for (const [name, options] of Object.entries(configured as Record<string, unknown>)) {
      if (!options || typeof options !== 'object' || Array.isArray(options)) continue
      if ((options as { disabled?: unknown }).disabled === true) delete variants[name]
      else variants[name] = options as Record<string, unknown>
    }
  }
  if (Object.keys(variants).length) model.variants = variants
  else delete model.variants
}

function catalogModel(provider: CatalogProvider, model: CatalogModel): ModelInfo {
  const info: ModelInfo = {
    id: model.id,
    providerID: provider.id,
    name: model.name,
    ...(model.family ? { family: model.family } : {}),
    api: { id: model.id, url: provider.api, npm: provider.npm },
    capabilities: {
      temperature: model.temperature ?? true,
      reasoning: model.reasoning ?? false,
      attachment: model.image ?? false,
      toolcall: model.toolcall ?? true,
      input: { text: true, audio: false, image: model.image ?? false, video: false, pdf: model.pdf ?? false },
      output: { text: true, audio: false, image: false, video: false, pdf: false },
      interleaved: false,
    },
    cost: {
      input: model.input ?? 0,
      output: model.outputCost ?? 0,
      cache: { read: model.cacheRead ?? 0, write: model.cacheWrite ?? 0 },
    },
    limit: { context: model.context, output: model.output },
    status: 'active',
    options: {},
    headers: {},
    release_date: model.release,
  }
  applyVariants(info, undefined)
  return info
}

/** A config model entry over a catalogue model (or a new one). */
function configModel(
  providerID: string,
  npm: string,
  url: string,
  id: string,
  entry: Json,
  base?: ModelInfo,
): ModelInfo {
  const model: ModelInfo = base
    ? structuredClone(base)
    : {
        id,
        providerID,
        name: id,
        api: { id, url, npm },
        capabilities: {
          temperature: true,
          reasoning: false,
          attachment: false,
          toolcall: true,
          input: { text: true, audio: false, image: false, video: false, pdf: false },
          output: { text: true, audio: false, image: false, video: false, pdf: false },
          interleaved: false,
        },
        cost: { input: 0, output: 0, cache: { read: 0, write: 0 } },
        limit: { context: 128000, output: 8192 },
        status: 'active',
        options: {},
        headers: {},
        release_date: '',
      }
  if (typeof entry.name === 'string') model.name = entry.name
  if (typeof entry.id === 'string') model.api.id = entry.id
  model.api.npm = npm
  model.api.url = url
  if (typeof entry.reasoning === 'boolean') model.capabilities.reasoning = entry.reasoning
  if (typeof entry.temperature === 'boolean') model.capabilities.temperature = entry.temperature
  if (typeof entry.tool_call === 'boolean') model.capabilities.toolcall = entry.tool_call
  if (typeof entry.attachment === 'boolean')
    model.capabilities.attachment = model.capabilities.input.image = entry.attachment
  if (entry.cost && typeof entry.cost === 'object') {
    model.cost = {
      input: Number(entry.cost.input ?? model.cost.input) || 0,
      output: Number(entry.cost.output ?? model.cost.output) || 0,
      cache: {
        read: Number(entry.cost.cache_read ?? model.cost.cache.read) || 0,
        write: Number(entry.cost.cache_write ?? model.cost.cache.write) || 0,
      },
    }
  }
  if (entry.limit && typeof entry.limit === 'object') {
    model.limit = {
      context: Number(entry.limit.context ?? model.limit.context) || 0,
      output: Number(entry.limit.output ?? model.limit.output) || 0,
    }
  }
  if (typeof entry.release_date === 'string') model.release_date = entry.release_date
  if (entry.options && typeof entry.options === 'object') model.options = { ...model.options, ...entry.options }
  if (entry.headers && typeof entry.headers === 'object') model.headers = { ...model.headers, ...entry.headers }
  applyVariants(model, entry.variants)
  return model
}

/**
 * One model object per model id: the SDKs' model objects hold no per-call state, and making one
 * builds its response schemas (measurable on every step of a prompt).
 */
function oncePerModel(create: (modelID: string) => LanguageModel): (modelID: string) => LanguageModel {
  const models = new Map<string, LanguageModel>()
  return (modelID) => {
    let model = models.get(modelID)
    if (!model) models.set(modelID, (model = create(modelID)))
    return model
  }
}

/** Options without the keys that may carry secrets (what clients may see). */
export function publicOptions(options: Json): Json {
  return Object.fromEntries(Object.entries(options).filter(([key]) => !SECRET_OPTIONS.has(key)))
}

function bestModel(models: Record<string, ModelInfo>, preferred: readonly string[]): string | undefined {
  for (const id of preferred) if (models[id]) return id
  return Object.values(models).sort((a, b) => b.release_date.localeCompare(a.release_date))[0]?.id
}

/**
 * The providers a project can use: the shipped catalogue merged with config `provider` entries,
 * filtered by `disabled_providers`/`enabled_providers`; connected when credentials exist.
 */
export class Providers implements ProviderService {
  private authVersion = 0
  private readonly clients = new Map<string, { key: string; create: (modelID: string) => LanguageModel }>()

  constructor(
    private readonly kernel: Kernel,
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
    const value = this.build(config as Json)
    cached.value = value
    return value
  }

  private build(config: Json): Resolved {
    const env = this.kernel.env
    const configured: Json = config.provider && typeof config.provider === 'object' ? config.provider : {}
    const disabled = new Set<string>(Array.isArray(config.disabled_providers) ? config.disabled_providers : [])
    const enabled = Array.isArray(config.enabled_providers) ? new Set<string>(config.enabled_providers) : undefined
    const ids = [...new Set([...CATALOG.map((p) => p.id), ...Object.keys(configured)])]
    const all: ProviderInfo[] = []
    const connected = new Set<string>()
    const defaults: Record<string, string> = {}
    const runtime: Resolved['runtime'] = new Map()

    for (const id of ids) {
      if (disabled.has(id) || (enabled && !enabled.has(id))) continue
      const base = CATALOG.find((p) => p.id === id)
      const entry: Json = configured[id] && typeof configured[id] === 'object' ? configured[id] : {}
      const isConfigured = Boolean(configured[id])
      const npm: string = typeof entry.npm === 'string' ? entry.npm : (base?.npm ?? '@ai-sdk/openai-compatible')
      const options: Json = entry.options && typeof entry.options === 'object' ? { ...entry.options } : {}
      const url: string =
        typeof options.baseURL === 'string'
          ? options.baseURL
          : typeof entry.api === 'string'
            ? entry.api
            : (base?.api ?? '')
      const envNames: string[] = Array.isArray(entry.env) ? entry.env : (base?.env ?? [])

      const models: Record<string, ModelInfo> = {}
      for (const model of base?.models ?? []) models[model.id] = catalogModel(base!, model)
      for (const model of Object.values(models)) {
        model.api.npm = npm
        model.api.url = url
      }
      const configModels: Json = entry.models && typeof entry.models === 'object' ? entry.models : {}
      for (const [modelID, modelEntry] of Object.entries(configModels)) {
        models[modelID] = configModel(id, npm, url, modelID, (modelEntry ?? {}) as Json, models[modelID])
      }
      const whitelist: string[] | undefined = Array.isArray(entry.whitelist) ? entry.whitelist : undefined
      const blacklist: string[] = Array.isArray(entry.blacklist) ? entry.blacklist : []
      for (const modelID of Object.keys(models)) {
        if ((whitelist && !whitelist.includes(modelID)) || blacklist.includes(modelID)) delete models[modelID]
      }

      const stored = this.credentials.get(id)
      const fromEnv = envNames.some((name) => Boolean(env[name]))
      const hasKey = typeof options.apiKey === 'string' && options.apiKey.length > 0
      const isConnected = Boolean(stored) || fromEnv || hasKey || (isConfigured && (!base || base.local === true))
      const source: ProviderInfo['source'] = stored ? 'api' : isConfigured ? (base ? 'config' : 'custom') : 'env'
      all.push({
        id,
        name: typeof entry.name === 'string' ? entry.name : (base?.name ?? id),
        source,
        env: envNames,
        options: publicOptions(options),
        models,
      })
      const best = bestModel(models, base?.preferred ?? [])
      if (best) defaults[id] = best
      if (isConnected) connected.add(id)
      runtime.set(id, {
        npm,
        baseURL: url || undefined,
        options,
        configured: isConfigured,
        anyModel: !base && Object.keys(configModels).length === 0,
      })
    }
    return { all, connected, defaults, runtime, config, authVersion: this.authVersion }
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
      return configModel(ref.providerID, runtime.npm, runtime.baseURL ?? '', ref.modelID, {})
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
            : (envKey ?? runtime.options.apiKey)
    const headers: Record<string, string> = { ...(runtime.options.headers ?? {}), ...model.headers }
    const loaded = stored ? await this.authLoaderOptions(instance, ref.providerID) : undefined
    if (loaded) {
      // An auth plugin's options (its own `fetch` signing requests) win over the stored key.
      const create = await this.createClient(
        ref.providerID,
        runtime.npm,
        typeof loaded.baseURL === 'string' ? loaded.baseURL : runtime.baseURL,
        typeof loaded.apiKey === 'string' ? loaded.apiKey : apiKey,
        { ...headers, ...((loaded.headers as Record<string, string>) ?? {}) },
        runtime.options,
        loaded.fetch as typeof fetch | undefined,
      )
      return create(model.api.id)
    }
    const key = JSON.stringify([ref.providerID, runtime.npm, runtime.baseURL, apiKey, headers, this.authVersion])
    const cacheKey = `${instance.directory}\0${ref.providerID}`
    let client = this.clients.get(cacheKey)
    if (!client || client.key !== key) {
      client = {
        key,
        create: oncePerModel(
          await this.createClient(ref.providerID, runtime.npm, runtime.baseURL, apiKey, headers, runtime.options),
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
        credentials: async () => this.credentials.get(providerID),
      })
      if (options) return options
    }
    return undefined
  }

  private async createClient(
    providerID: string,
    npm: string,
    baseURL: string | undefined,
    apiKey: string | undefined,
    headers: Record<string, string>,
    options: Json,
    fetch?: typeof globalThis.fetch,
  ): Promise<(modelID: string) => LanguageModel> {
    const rest = publicOptions(options)
    delete rest.baseURL
    switch (npm) {
      case '@ai-sdk/anthropic': {
        const { createAnthropic } = await import('@ai-sdk/anthropic')
        const provider = createAnthropic({
          apiKey: apiKey ?? '',
          ...(baseURL ? { baseURL } : {}),
          headers,
          ...(fetch ? { fetch } : {}),
        })
        return (modelID) => provider(modelID)
      }
      case '@ai-sdk/openai': {
        const { createOpenAI } = await import('@ai-sdk/openai')
        const provider = createOpenAI({
          apiKey: apiKey ?? '',
          ...(baseURL ? { baseURL } : {}),
          headers,
          ...(fetch ? { fetch } : {}),
        })
        return (modelID) => provider(modelID)
      }
      case '@ai-sdk/openai-compatible': {
        const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible')
        if (!baseURL)
          throw new BadRequestError(`Provider ${providerID} has no base URL: set options.baseURL in its config`)
        const provider = createOpenAICompatible({
          name: providerID,
          baseURL,
          ...(apiKey ? { apiKey } : {}),
          headers,
          includeUsage: true,
          ...rest,
          ...(fetch ? { fetch } : {}),
        })
        return (modelID) => provider(modelID)
      }
      default: {
        // A model SDK a plugin brought.
        const contributed = this.kernel.extensions.get(ProviderPackages).find((entry) => entry.npm === npm)
        if (contributed)
          return contributed.create({
            providerID,
            ...(baseURL ? { baseURL } : {}),
            ...(apiKey ? { apiKey } : {}),
            headers,
            options,
          })
        const known = [...SUPPORTED_PACKAGES, ...this.kernel.extensions.get(ProviderPackages).map((entry) => entry.npm)]
        throw new BadRequestError(
          `Provider ${providerID} uses the package ${npm}, which this server does not have (available: ${known.join(', ')})`,
        )
      }
    }
  }

  async defaultModel(instance: Instance): Promise<ModelRef> {
    const config = this.kernel.config(instance) as Json
    if (typeof config.model === 'string' && config.model.includes('/')) {
      const slash = config.model.indexOf('/')
      return { providerID: config.model.slice(0, slash), modelID: config.model.slice(slash + 1) }
    }
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
    const config = this.kernel.config(instance) as Json
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
