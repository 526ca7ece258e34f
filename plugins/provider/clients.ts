// The `ai` SDK client of a provider: one of the three packages the server ships, or one a plugin
// brought through `ProviderPackages`.
import type { ProviderKernel } from './index.js'
import { BadRequestError, ProviderPackages } from '../../sdk/index.js'
import type { LanguageModel } from 'ai'
import { publicOptions, type Json } from './models.js'

const SUPPORTED_PACKAGES = ['@ai-sdk/openai-compatible', '@ai-sdk/openai', '@ai-sdk/anthropic']

/** Makes the language model of a model id. */
export type ModelFactory = (modelID: string) => LanguageModel

export interface ClientInput {
  providerID: string
  /** The SDK package the provider's config or catalogue entry names. */
  npm: string
  baseURL: string | undefined
  apiKey: string | undefined
  headers: Record<string, string>
  /** The provider's config options, secrets included. */
  options: Json
  /** An auth plugin's own `fetch` (signing requests), when it gave one. */
  fetch?: typeof globalThis.fetch
}

/**
 * One model object per model id: the SDKs' model objects hold no per-call state, and making one
 * builds its response schemas (measurable on every step of a prompt).
 */
export function oncePerModel(create: ModelFactory): ModelFactory {
  const models = new Map<string, LanguageModel>()
  return (modelID) => {
    let model = models.get(modelID)
    if (!model) models.set(modelID, (model = create(modelID)))
    return model
  }
}

/** The client of `input.npm`; a package nobody provides is a 400 naming the ones there are. */
export async function createClient(
  kernel: Pick<ProviderKernel, 'extensions'>,
  input: ClientInput,
): Promise<ModelFactory> {
  const { providerID, npm, baseURL, apiKey, headers, options, fetch } = input
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
    default:
      return contributedClient(kernel, input)
  }
}

/** A model SDK a plugin brought. */
function contributedClient(
  kernel: Pick<ProviderKernel, 'extensions'>,
  input: ClientInput,
): Promise<ModelFactory> | ModelFactory {
  const { providerID, npm, baseURL, apiKey, headers, options } = input
  const contributed = kernel.extensions.get(ProviderPackages).find((entry) => entry.npm === npm)
  if (contributed)
    return contributed.create({
      providerID,
      ...(baseURL ? { baseURL } : {}),
      ...(apiKey ? { apiKey } : {}),
      headers,
      options,
    })
  const known = [...SUPPORTED_PACKAGES, ...kernel.extensions.get(ProviderPackages).map((entry) => entry.npm)]
  throw new BadRequestError(
    `Provider ${providerID} uses the package ${npm}, which this server does not have (available: ${known.join(', ')})`,
  )
}
