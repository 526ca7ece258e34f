import type { CatalogProvider } from './types.js'

export const groq: CatalogProvider = {
  id: 'groq',
  name: 'Groq',
  env: ['GROQ_API_KEY'],
  npm: '@ai-sdk/openai-compatible',
  api: 'https://api.groq.com/openai/v1',
  preferred: ['moonshotai/kimi-k2-instruct', 'openai/gpt-oss-120b'],
  small: ['llama-3.1-8b-instant'],
  models: [
    {
      id: 'moonshotai/kimi-k2-instruct',
      name: 'Kimi K2',
      family: 'kimi',
      release: '2025-07-14',
      context: 131072,
      output: 16384,
      input: 1,
      outputCost: 3,
    },
    {
      id: 'openai/gpt-oss-120b',
      name: 'GPT OSS 120B',
      family: 'gpt-oss',
      release: '2025-08-05',
      context: 131072,
      output: 32768,
      input: 0.15,
      outputCost: 0.75,
      reasoning: true,
    },
    {
      id: 'llama-3.1-8b-instant',
      name: 'Llama 3.1 8B Instant',
      family: 'llama',
      release: '2024-07-23',
      context: 131072,
      output: 8192,
      input: 0.05,
      outputCost: 0.08,
    },
  ],
}
