import type { CatalogProvider } from './types.js'

export const deepseek: CatalogProvider = {
  id: 'deepseek',
  name: 'DeepSeek',
  env: ['DEEPSEEK_API_KEY'],
  npm: '@ai-sdk/openai-compatible',
  api: 'https://api.deepseek.com/v1',
  preferred: ['deepseek-chat', 'deepseek-reasoner'],
  small: ['deepseek-chat'],
  models: [
    {
      id: 'deepseek-chat',
      name: 'DeepSeek Chat',
      family: 'deepseek',
      release: '2025-09-29',
      context: 128000,
      output: 8192,
      input: 0.28,
      outputCost: 0.42,
      cacheRead: 0.028,
    },
    {
      id: 'deepseek-reasoner',
      name: 'DeepSeek Reasoner',
      family: 'deepseek',
      release: '2025-09-29',
      context: 128000,
      output: 64000,
      input: 0.28,
      outputCost: 0.42,
      cacheRead: 0.028,
      reasoning: true,
    },
  ],
}
