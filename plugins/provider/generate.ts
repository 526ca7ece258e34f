// Stateless generation (`POST /api/experimental/generate`): one prompt, one answer, with the
// model the request names or the location's default (OpenCode 2.1.2 reads only the global
// config there; we read the location's, as every other route does).
import { NamedError, ServiceUnavailableError, TaggedError, type Instance } from '../../sdk/index.js'
import type { ModelRef } from './types.js'
import type { Providers } from './service.js'

/** A generation answers within this time, or it is a 503. */
const GENERATE_TIMEOUT_MS = 120_000

/** A 2.1 model reference; `model` (the config's spelling) is taken for `id` too. */
export interface GenerateModel {
  providerID: string
  id?: string
  model?: string
  variant?: string
}

export class ModelUnavailableError extends TaggedError {
  constructor(message: string, kind: string) {
    super('InvalidRequestError', 400, message, { kind, field: 'model' })
  }
}

async function chosenModel(
  providers: Pick<Providers, 'defaultModel'>,
  instance: Instance,
  model: GenerateModel | null | undefined,
): Promise<ModelRef> {
  if (model) {
    const modelID = model.id ?? model.model
    if (!modelID) throw new ModelUnavailableError('A model reference needs its "id"', 'Payload')
    return { providerID: model.providerID, modelID }
  }
  try {
    return await providers.defaultModel(instance)
  } catch {
    throw new ModelUnavailableError(
      'No model configured: set "model" in opencode.json, connect a provider, or name a model in the request',
      'model_required',
    )
  }
}

export async function generateText(
  providers: Pick<Providers, 'defaultModel' | 'model' | 'languageModel'>,
  instance: Instance,
  input: { prompt: string; model?: GenerateModel | null },
): Promise<{ text: string }> {
  const ref = await chosenModel(providers, instance, input.model)
  const name = `${ref.providerID}/${ref.modelID}`
  let info
  let languageModel
  try {
    info = await providers.model(instance, ref)
    languageModel = await providers.languageModel(instance, ref)
  } catch (error) {
    const reason = error instanceof NamedError && error.statusCode === 404 ? '' : `: ${(error as Error).message}`
    throw new ModelUnavailableError(`Model unavailable: ${name}${reason}`, 'model_unavailable')
  }
  const variant = input.model?.variant ? info.variants?.[input.model.variant] : undefined
  const options = { ...info.options, ...variant }
  const { generateText: generate } = await import('ai')
  try {
    const result = await generate({
      model: languageModel,
      prompt: input.prompt,
      maxRetries: 1,
      abortSignal: AbortSignal.timeout(GENERATE_TIMEOUT_MS),
      ...(Object.keys(options).length
        ? { providerOptions: { [ref.providerID]: options as Record<string, never> } }
        : {}),
    })
    return { text: result.text }
  } catch (error) {
    // After its retries the SDK throws a RetryError; the provider's own error is its last one.
    const cause = (error as { lastError?: unknown }).lastError ?? error
    throw new ServiceUnavailableError(
      `The model ${name} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      ref.providerID,
    )
  }
}
