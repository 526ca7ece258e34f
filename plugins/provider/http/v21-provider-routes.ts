import { LocationQuery, ref, v2Errors, type Instance, type PluginApp } from '../../../sdk/index.js'
import { Type, type Static } from 'typebox'
import { ModelV2Info, ProviderNotFoundErrorBody, ProviderV2Info } from '../schemas.js'
import { ProviderNotFoundError } from '../errors.js'
import { publicOptions } from '../models.js'
import type { Providers } from '../service.js'
import type { ModelInfo, ProviderInfo } from '../types.js'
import { Located, located, locationRoute } from './v21-envelope.js'

const tags = ['provider']
const querystring = Type.Object(LocationQuery)
const DEFAULT_PACKAGE = '@ai-sdk/openai-compatible'
type Flags = ModelInfo['capabilities']['input']

const kinds = (flags: Flags) => (Object.keys(flags) as (keyof Flags)[]).filter((kind) => flags[kind])

/** Settings as clients may see them: the base URL and options without secrets; absent when empty. */
function settings(url: string | undefined, options: Record<string, unknown>) {
  const shown = { ...(url ? { baseURL: url } : {}), ...publicOptions(options) }
  return Object.keys(shown).length ? { settings: shown } : {}
}

/** A model as OpenCode 2.1 shows it; keys and headers (which may carry credentials) never are. */
export function modelV2View(model: ModelInfo): Static<typeof ModelV2Info> {
  const released = Date.parse(model.release_date)
  return {
    id: model.id,
    modelID: model.api.id,
    providerID: model.providerID,
    ...(typeof model.family === 'string' ? { family: model.family } : {}),
    name: model.name,
    package: model.api.npm || DEFAULT_PACKAGE,
    ...settings(model.api.url, model.options),
    capabilities: {
      tools: model.capabilities.toolcall,
      input: kinds(model.capabilities.input),
      output: kinds(model.capabilities.output),
      temperature: model.capabilities.temperature,
    },
    variants: Object.entries(model.variants ?? {}).map(([id, options]) => ({ id, ...settings(undefined, options) })),
    time: { released: Number.isFinite(released) ? released : 0 },
    cost: [model.cost],
    status: model.status,
    enabled: true,
    limit: {
      context: model.limit.context,
      ...(model.limit.input !== undefined ? { input: model.limit.input } : {}),
      output: model.limit.output,
    },
  }
}

function providerV2View(providers: Providers, instance: Instance, provider: ProviderInfo) {
  const runtime = providers.resolve(instance).runtime.get(provider.id)
  return {
    id: provider.id,
    integrationID: provider.id,
    name: provider.name,
    activation: runtime?.configured ? ('enabled' as const) : ('auto' as const),
    package: runtime?.npm ?? DEFAULT_PACKAGE,
    ...settings(runtime?.baseURL, provider.options),
  }
}

/** `/api/model`, `/api/model/default`, `/api/provider`, `/api/provider/:id`: 2.1's views of the catalogue and config. */
export function registerProviderV21Routes(app: PluginApp, providers: Providers): void {
  registerModelRoutes(app, providers)

  app.get(
    '/api/provider',
    {
      config: locationRoute,
      schema: {
        operationId: 'provider.list',
        tags,
        summary: 'List providers',
        description: 'The connected (usable) providers: configured ones, and those a credential or env var connects.',
        querystring,
        response: { 200: Located(Type.Array(ref(ProviderV2Info))), ...v2Errors() },
      },
    },
    async (request) => {
      const { providers: active } = await providers.configured(request.instance)
      return located(
        request,
        active.map((provider) => providerV2View(providers, request.instance, provider)),
      )
    },
  )

  app.get(
    '/api/provider/:providerID',
    {
      config: locationRoute,
      schema: {
        operationId: 'provider.get',
        tags,
        summary: 'Get a provider',
        description: 'Any provider the catalogue or config knows, connected or not; unknown → 404.',
        querystring,
        params: Type.Object({ providerID: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: Located(ref(ProviderV2Info)), ...v2Errors({ 404: ref(ProviderNotFoundErrorBody) }) },
      },
    },
    async (request) => {
      const { providerID } = request.params
      const { all } = await providers.list(request.instance)
      const provider = all.find((entry) => entry.id === providerID)
      if (!provider) throw new ProviderNotFoundError(providerID)
      return located(request, providerV2View(providers, request.instance, provider))
    },
  )
}

function registerModelRoutes(app: PluginApp, providers: Providers): void {
  app.get(
    '/api/model',
    {
      config: locationRoute,
      schema: {
        operationId: 'model.list',
        tags: ['model'],
        summary: 'List models',
        description: 'The models of the connected providers, newest release first.',
        querystring,
        response: { 200: Located(Type.Array(ref(ModelV2Info))), ...v2Errors() },
      },
    },
    async (request) => {
      const { providers: active } = await providers.configured(request.instance)
      const models = active.flatMap((provider) => Object.values(provider.models).map(modelV2View))
      models.sort((a, b) => b.time.released - a.time.released)
      return located(request, models)
    },
  )

  app.get(
    '/api/model/default',
    {
      config: locationRoute,
      schema: {
        operationId: 'model.default',
        tags: ['model'],
        summary: 'Default model',
        description:
          'Config `model`, else the best model of the first connected provider; `null` when there is none (or the configured one is unknown).',
        querystring,
        response: { 200: Located(Type.Union([ref(ModelV2Info), Type.Null()])), ...v2Errors() },
      },
    },
    async (request) => {
      let model: ModelInfo | undefined
      try {
        model = await providers.model(request.instance, await providers.defaultModel(request.instance))
      } catch {
        model = undefined
      }
      return located(request, model ? modelV2View(model) : null)
    },
  )
}
