// The shape of the shipped catalogue (one file per provider beside this one).

export interface CatalogModel {
  id: string
  name: string
  family?: string
  release: string
  context: number
  output: number
  input?: number
  outputCost?: number
  cacheRead?: number
  cacheWrite?: number
  reasoning?: boolean
  /** Accepts images (and PDFs where `pdf`). */
  image?: boolean
  pdf?: boolean
  toolcall?: boolean
  temperature?: boolean
}

export interface CatalogProvider {
  id: string
  name: string
  env: string[]
  npm: '@ai-sdk/anthropic' | '@ai-sdk/openai' | '@ai-sdk/openai-compatible'
  api: string
  /** A local server: connected only when configured. */
  local?: boolean
  /** Model ids in order of preference for the provider's default and small model. */
  preferred: string[]
  small: string[]
  models: CatalogModel[]
}
