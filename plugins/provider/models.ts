// Model infos as clients see them, built from the shipped catalogue and config `provider` entries.
import type { CatalogModel, CatalogProvider } from './catalog/index.js'
import type { ModelInfo } from './types.js'

/** A JSON object read from config, fields checked where they are used. */
export type Json = Record<string, unknown>

/** Option keys that may carry secrets: never part of a provider as clients see it. */
const SECRET_OPTIONS = new Set(['apiKey', 'headers', 'authToken', 'token'])

const isObject = (value: unknown): value is Json => Boolean(value) && typeof value === 'object'

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

export function catalogModel(provider: CatalogProvider, model: CatalogModel): ModelInfo {
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

/** A model the catalogue does not know, before its config entry applies. */
function blankModel(providerID: string, id: string, url: string, npm: string): ModelInfo {
  return {
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
}

export interface ConfigModelInput {
  providerID: string
  /** The provider's SDK package and base URL, which every model of it uses. */
  npm: string
  url: string
  /** The model id. */
  id: string
  /** The config entry (`provider.<id>.models.<model>`). */
  entry: Json
  /** The catalogue model the entry overrides, if any. */
  base?: ModelInfo
}

/** A config model entry over a catalogue model (or a new one). */
export function configModel({ providerID, npm, url, id, entry, base }: ConfigModelInput): ModelInfo {
  const model: ModelInfo = base ? structuredClone(base) : blankModel(providerID, id, url, npm)
  if (typeof entry.name === 'string') model.name = entry.name
  if (typeof entry.id === 'string') model.api.id = entry.id
  model.api.npm = npm
  model.api.url = url
  if (typeof entry.reasoning === 'boolean') model.capabilities.reasoning = entry.reasoning
  if (typeof entry.temperature === 'boolean') model.capabilities.temperature = entry.temperature
  if (typeof entry.tool_call === 'boolean') model.capabilities.toolcall = entry.tool_call
  if (typeof entry.attachment === 'boolean')
    model.capabilities.attachment = model.capabilities.input.image = entry.attachment
  if (isObject(entry.cost)) {
    const cost = entry.cost
    model.cost = {
      input: Number(cost.input ?? model.cost.input) || 0,
      output: Number(cost.output ?? model.cost.output) || 0,
      cache: {
        read: Number(cost.cache_read ?? model.cost.cache.read) || 0,
        write: Number(cost.cache_write ?? model.cost.cache.write) || 0,
      },
    }
  }
  if (isObject(entry.limit)) {
    model.limit = {
      context: Number(entry.limit.context ?? model.limit.context) || 0,
      output: Number(entry.limit.output ?? model.limit.output) || 0,
    }
  }
  if (typeof entry.release_date === 'string') model.release_date = entry.release_date
  if (isObject(entry.options)) model.options = { ...model.options, ...entry.options }
  if (isObject(entry.headers)) model.headers = { ...model.headers, ...(entry.headers as Record<string, string>) }
  applyVariants(model, entry.variants)
  return model
}

/** Options without the keys that may carry secrets (what clients may see). */
export function publicOptions(options: Json): Json {
  return Object.fromEntries(Object.entries(options).filter(([key]) => !SECRET_OPTIONS.has(key)))
}

/** The provider's default model: the first preferred one it has, else its newest. */
export function bestModel(models: Record<string, ModelInfo>, preferred: readonly string[]): string | undefined {
  for (const id of preferred) if (models[id]) return id
  return Object.values(models).sort((a, b) => b.release_date.localeCompare(a.release_date))[0]?.id
}
