import type { CatalogProvider } from './types.js'

export const mistral: CatalogProvider = {
  id: 'mistral',
  name: 'Mistral',
  env: ['MISTRAL_API_KEY'],
  npm: '@ai-sdk/openai-compatible',
  api: 'https://api.mistral.ai/v1',
  preferred: ['devstral-medium-latest', 'mistral-large-latest'],
  small: ['mistral-small-latest'],
  models: [
    {
      id: 'devstral-medium-latest',
      name: 'Devstral Medium',
      family: 'devstral',
      release: '2025-07-10',
      context: 131072,
      output: 32768,
      input: 0.4,
      outputCost: 2,
    },
    {
      id: 'mistral-large-latest',
      name: 'Mistral Large',
      family: 'mistral-large',
      release: '2024-11-18',
      context: 131072,
      output: 16384,
      input: 2,
      outputCost: 6,
    },
    {
      id: 'mistral-small-latest',
      name: 'Mistral Small',
      family: 'mistral-small',
      release: '2025-06-20',
      context: 131072,
      output: 16384,
      input: 0.1,
      outputCost: 0.3,
      image: true,
    },
  ],
}
