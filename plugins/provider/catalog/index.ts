// The providers and models known without any configuration, shipped as data: the server never
// fetches a catalogue at run time, so it works offline. Prices are USD per million tokens.
// Figures are indicative; config `provider` entries override any of them.
import { anthropic } from './anthropic.js'
import { deepseek } from './deepseek.js'
import { google } from './google.js'
import { groq } from './groq.js'
import { lmstudio } from './lmstudio.js'
import { mistral } from './mistral.js'
import { ollama } from './ollama.js'
import { openai } from './openai.js'
import { openrouter } from './openrouter.js'
import type { CatalogProvider } from './types.js'
import { xai } from './xai.js'

export type { CatalogModel, CatalogProvider } from './types.js'

/** In this order: the first connected provider gives the default model. */
export const CATALOG: CatalogProvider[] = [
  anthropic,
  openai,
  google,
  openrouter,
  groq,
  deepseek,
  mistral,
  xai,
  ollama,
  lmstudio,
]
