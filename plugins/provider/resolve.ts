// The providers a config gives: the shipped catalogue merged with config `provider` entries,
// filtered by `disabled_providers`/`enabled_providers`; connected when credentials exist.
import type { CredentialStore } from './auth.js'
import { CATALOG, type CatalogProvider } from './catalog/index.js'
import { bestModel, catalogModel, configModel, publicOptions, type Json } from './models.js'
import type { ModelInfo, ProviderInfo } from './types.js'

/** What a provider needs to be called, secrets included; stays in the server. */
export interface ProviderRuntime {
  npm: string
  baseURL?: string
  options: Json
  configured: boolean
  /** A custom provider configured without a model list takes any model id. */
  anyModel: boolean
}

export interface Resolved {
  all: ProviderInfo[]
  connected: Set<string>
  defaults: Record<string, string>
  runtime: Map<string, ProviderRuntime>
  config: unknown
  authVersion: number
}

interface ResolveContext {
  credentials: CredentialStore
  env: Record<string, string | undefined>
}

/** One provider as config and catalogue make it. */
interface ResolvedProvider {
  info: ProviderInfo
  runtime: ProviderRuntime
  connected: boolean
  defaultModel: string | undefined
}

const objectOr = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {})

/** The provider table of one config (see the file's head). */
export function resolveProviders(config: Json, authVersion: number, context: ResolveContext): Resolved {
  const configured = objectOr(config.provider)
  const disabled = new Set<string>(Array.isArray(config.disabled_providers) ? config.disabled_providers : [])
  const enabled = Array.isArray(config.enabled_providers) ? new Set<string>(config.enabled_providers) : undefined
  const ids = [...new Set([...CATALOG.map((p) => p.id), ...Object.keys(configured)])]
  const all: ProviderInfo[] = []
  const connected = new Set<string>()
  const defaults: Record<string, string> = {}
  const runtime: Resolved['runtime'] = new Map()

  for (const id of ids) {
    if (disabled.has(id) || (enabled && !enabled.has(id))) continue
    const provider = resolveProvider(id, configured[id], context)
    all.push(provider.info)
    if (provider.defaultModel) defaults[id] = provider.defaultModel
    if (provider.connected) connected.add(id)
    runtime.set(id, provider.runtime)
  }
  return { all, connected, defaults, runtime, config, authVersion }
}

function resolveProvider(id: string, configEntry: unknown, context: ResolveContext): ResolvedProvider {
  const base = CATALOG.find((p) => p.id === id)
  const entry = objectOr(configEntry)
  const isConfigured = Boolean(configEntry)
  const npm: string = typeof entry.npm === 'string' ? entry.npm : (base?.npm ?? '@ai-sdk/openai-compatible')
  const options: Json = entry.options && typeof entry.options === 'object' ? { ...entry.options } : {}
  const url: string =
    typeof options.baseURL === 'string'
      ? options.baseURL
      : typeof entry.api === 'string'
        ? entry.api
        : (base?.api ?? '')
  const envNames: string[] = Array.isArray(entry.env) ? entry.env : (base?.env ?? [])
  const configModels = objectOr(entry.models)
  const models = providerModels({ id, base, entry, configModels, npm, url })

  const stored = context.credentials.get(id)
  const fromEnv = envNames.some((name) => Boolean(context.env[name]))
  const hasKey = typeof options.apiKey === 'string' && options.apiKey.length > 0
  const source: ProviderInfo['source'] = stored ? 'api' : isConfigured ? (base ? 'config' : 'custom') : 'env'
  return {
    info: {
      id,
      name: typeof entry.name === 'string' ? entry.name : (base?.name ?? id),
      source,
      env: envNames,
      options: publicOptions(options),
      models,
    },
    runtime: {
      npm,
      baseURL: url || undefined,
      options,
      configured: isConfigured,
      anyModel: !base && Object.keys(configModels).length === 0,
    },
    connected: Boolean(stored) || fromEnv || hasKey || (isConfigured && (!base || base.local === true)),
    defaultModel: bestModel(models, base?.preferred ?? []),
  }
}

/** The catalogue's models, then the config's over them, less the white/blacklisted ones. */
function providerModels(input: {
  id: string
  base: CatalogProvider | undefined
  entry: Json
  configModels: Json
  npm: string
  url: string
}): Record<string, ModelInfo> {
  const { id, base, entry, configModels, npm, url } = input
  const models: Record<string, ModelInfo> = {}
  for (const model of base?.models ?? []) models[model.id] = catalogModel(base!, model)
  for (const model of Object.values(models)) {
    model.api.npm = npm
    model.api.url = url
  }
  for (const [modelID, modelEntry] of Object.entries(configModels)) {
    models[modelID] = configModel({
      providerID: id,
      npm,
      url,
      id: modelID,
      entry: (modelEntry ?? {}) as Json,
      base: models[modelID],
    })
  }
  const whitelist: string[] | undefined = Array.isArray(entry.whitelist) ? entry.whitelist : undefined
  const blacklist: string[] = Array.isArray(entry.blacklist) ? entry.blacklist : []
  for (const modelID of Object.keys(models)) {
    if ((whitelist && !whitelist.includes(modelID)) || blacklist.includes(modelID)) delete models[modelID]
  }
  return models
}
