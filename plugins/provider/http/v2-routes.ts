import { LocationEnvelope, LocationQuery, locationEnvelope, ref, v2Errors, type PluginApp } from '../../../sdk/index.js'
import { Type, type Static } from 'typebox'
import { ModelV2Info, ProviderNotFoundErrorBody, ProviderV2Info } from '../schemas.js'
import { ProviderNotFoundError } from '../errors.js'
import { publicOptions } from '../models.js'
import type { Providers } from '../service.js'
import type { ModelInfo, ProviderInfo } from '../types.js'

const tags = ['provider']
const config = { v2: true, location: true }
const querystring = Type.Object(LocationQuery)
const DEFAULT_PACKAGE = '@ai-sdk/openai-compatible'
type Flags = ModelInfo['capabilities']['input']

const kinds = (flags: Flags) => (Object.keys(flags) as (keyof Flags)[]).filter((kind) => flags[kind])

/** A model as v2 shows it; headers (which may carry credentials) are never shown. */
export function modelV2View(model: ModelInfo): Static<typeof ModelV2Info> {
  const released = Date.parse(model.release_date)
  return {
    id: model.id,
    providerID: model.providerID,
    ...(typeof model.family === 'string' ? { family: model.family } : {}),
    name: model.name,
    api: {
      id: model.api.id,
      type: 'aisdk',
      package: model.api.npm || DEFAULT_PACKAGE,
      ...(model.api.url ? { url: model.api.url } : {}),
    },
    capabilities: {
      tools: model.capabilities.toolcall,
      input: kinds(model.capabilities.input),
      output: kinds(model.capabilities.output),
    },
    request: { headers: {}, body: publicOptions(model.options) },
    variants: Object.entries(model.variants ?? {}).map(([id, body]) => ({
      id,
      headers: {},
      body: publicOptions(body),
    })),
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

export function providerV2View(provider: ProviderInfo, active: boolean): Static<typeof ProviderV2Info> {
  const first = Object.values(provider.models)[0]
  const url = typeof provider.options.baseURL === 'string' ? provider.options.baseURL : first?.api.url
  return {
    id: provider.id,
    name: provider.name,
    ...(active ? {} : { disabled: true }),
    api: { type: 'aisdk', package: first?.api.npm || DEFAULT_PACKAGE, ...(url ? { url } : {}) },
    request: { headers: {}, body: publicOptions(provider.options) },
  }
}

/** `GET /api/model`, `/api/provider`, `/api/provider/:id`: v2 views over the same catalogue and config. */
export function registerProviderV2Routes(app: PluginApp, providers: Providers): void {
  app.get(
    '/api/model',
    {
      config,
      schema: {
        operationId: 'v2.model.list',
        tags,
        summary: 'List models',
        description: 'The models of the connected providers, newest release first.',
        querystring,
        response: { 200: LocationEnvelope(Type.Array(ref(ModelV2Info))), ...v2Errors() },
      },
    },
    async (request) => {
      const { providers: active } = await providers.configured(request.instance)
      const models = active.flatMap((provider) => Object.values(provider.models).map(modelV2View))
      models.sort((a, b) => b.time.released - a.time.released)
      return locationEnvelope(request, models)
    },
  )

  app.get(
    '/api/provider',
    {
      config,
      schema: {
        operationId: 'v2.provider.list',
        tags,
        summary: 'List providers',
        description: 'The connected (usable) providers.',
        querystring,
        response: { 200: LocationEnvelope(Type.Array(ref(ProviderV2Info))), ...v2Errors() },
      },
    },
    async (request) => {
      const { providers: active } = await providers.configured(request.instance)
      return locationEnvelope(
        request,
        active.map((provider) => providerV2View(provider, true)),
      )
    },
  )

  app.get(
    '/api/provider/:providerID',
    {
      config,
      schema: {
        operationId: 'v2.provider.get',
        tags,
        summary: 'Get a provider',
        description: 'Any provider the catalogue or config knows, connected or not (`disabled: true` when not usable).',
        querystring,
        params: Type.Object({ providerID: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: LocationEnvelope(ref(ProviderV2Info)), ...v2Errors({ 404: ref(ProviderNotFoundErrorBody) }) },
      },
    },
    async (request) => {
      const { providerID } = request.params
      const { all, connected } = await providers.list(request.instance)
      const provider = all.find((entry) => entry.id === providerID)
      if (!provider) throw new ProviderNotFoundError(providerID)
      return locationEnvelope(request, providerV2View(provider, connected.includes(providerID)))
    },
  )
}
