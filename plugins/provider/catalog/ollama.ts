import type { CatalogProvider } from './types.js'

export const ollama: CatalogProvider = {
  id: 'ollama',
  name: 'Ollama (local)',
  env: [],
  npm: '@ai-sdk/openai-compatible',
  api: 'http://127.0.0.1:11434/v1',
  local: true,
  preferred: ['qwen3-coder:30b', 'gpt-oss:20b'],
  small: ['qwen3:4b'],
  models: [
    {
      id: 'qwen3-coder:30b',
      name: 'Qwen3 Coder 30B',
      family: 'qwen',
      release: '2025-07-31',
      context: 262144,
      output: 65536,
    },
    {
      id: 'gpt-oss:20b',
      name: 'GPT OSS 20B',
      family: 'gpt-oss',
      release: '2025-08-05',
      context: 131072,
      output: 32768,
      reasoning: true,
    },
    {
      id: 'qwen3:4b',
      name: 'Qwen3 4B',
      family: 'qwen',
      release: '2025-04-29',
      context: 40960,
      output: 8192,
      reasoning: true,
    },
  ],
}
