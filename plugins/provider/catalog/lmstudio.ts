import type { CatalogProvider } from './types.js'

export const lmstudio: CatalogProvider = {
  id: 'lmstudio',
  name: 'LM Studio (local)',
  env: [],
  npm: '@ai-sdk/openai-compatible',
  api: 'http://127.0.0.1:1234/v1',
  local: true,
  preferred: ['qwen/qwen3-coder-30b', 'openai/gpt-oss-20b'],
  small: ['qwen/qwen3-coder-30b'],
  models: [
    {
      id: 'qwen/qwen3-coder-30b',
      name: 'Qwen3 Coder 30B',
      family: 'qwen',
      release: '2025-07-31',
      context: 262144,
      output: 65536,
    },
    {
      id: 'openai/gpt-oss-20b',
      name: 'GPT OSS 20B',
      family: 'gpt-oss',
      release: '2025-08-05',
      context: 131072,
      output: 32768,
      reasoning: true,
    },
  ],
}
