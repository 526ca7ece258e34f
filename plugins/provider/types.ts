// The provider plugin's public contract: what other plugins (session, tools) may use through the
// `app.providers` decorator. Import these types with `import type` only.
import { type Instance } from '../../sdk/index.js'
import type { LanguageModel } from 'ai'

/** A model as OpenCode's `Model` shows it (the fields the session loop needs are typed). */
export interface ModelInfo {
  id: string
  providerID: string
  name: string
  api: { id: string; url: string; npm: string }
  capabilities: {
    temperature: boolean
    reasoning: boolean
    attachment: boolean
    toolcall: boolean
    input: { text: boolean; audio: boolean; image: boolean; video: boolean; pdf: boolean }
    output: { text: boolean; audio: boolean; image: boolean; video: boolean; pdf: boolean }
    interleaved: boolean | { field: string }
  }
  /** USD per million tokens. */
  cost: { input: number; output: number; cache: { read: number; write: number } }
  limit: { context: number; input?: number; output: number }
  status: 'alpha' | 'beta' | 'deprecated' | 'active'
  options: Record<string, unknown>
  headers: Record<string, string>
  release_date: string
  /** Named sets of provider options a prompt may pick with `variant` (reasoning effort ...). */
  variants?: Record<string, Record<string, unknown>>
  [key: string]: unknown
}

/** A provider as OpenCode's `Provider` shows it. Never carries a secret. */
export interface ProviderInfo {
  id: string
  name: string
  source: 'env' | 'config' | 'custom' | 'api'
  env: string[]
  options: Record<string, unknown>
  models: Record<string, ModelInfo>
}

export interface ModelRef {
  providerID: string
  modelID: string
}

export interface ProviderService {
  /** Every provider the catalogue and config know, which are connected, and each one's default model. */
  list(instance: Instance): Promise<{ all: ProviderInfo[]; default: Record<string, string>; connected: string[] }>
  /** Only the usable (connected, enabled) providers: `GET /config/providers`. */
  configured(instance: Instance): Promise<{ providers: ProviderInfo[]; default: Record<string, string> }>
  /** Throws NotFoundError (`ProviderModelNotFoundError`) when the provider or model is unknown. */
  model(instance: Instance, ref: ModelRef): Promise<ModelInfo>
  /** An `ai` SDK model with credentials, base URL, headers and options applied. */
  languageModel(instance: Instance, ref: ModelRef): Promise<LanguageModel>
  /** Config `model` ("provider/model"), else the first connected provider's best model. */
  defaultModel(instance: Instance): Promise<ModelRef>
  /** Config `small_model`, else a cheap model of `providerID`, else undefined. */
  smallModel(instance: Instance, providerID: string): Promise<ModelRef | undefined>
}

declare module 'fastify' {
  interface FastifyInstance {
    providers: ProviderService
  }
}
