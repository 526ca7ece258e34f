// The providers and models known without any configuration, shipped as data: the server never
// fetches a catalogue at run time, so it works offline. Prices are USD per million tokens.
// Figures are indicative; config `provider` entries override any of them.

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

export const CATALOG: CatalogProvider[] = [
  {
    id: 'anthropic',
    name: 'Anthropic',
    env: ['ANTHROPIC_API_KEY'],
    npm: '@ai-sdk/anthropic',
    api: 'https://api.anthropic.com/v1',
    preferred: ['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-sonnet-4-0'],
    small: ['claude-haiku-4-5', 'claude-3-5-haiku-latest'],
    models: [
      { id: 'claude-sonnet-4-5', name: 'Claude Sonnet 4.5', family: 'claude-sonnet', release: '2025-09-29', context: 200000, output: 64000, input: 3, outputCost: 15, cacheRead: 0.3, cacheWrite: 3.75, reasoning: true, image: true, pdf: true },
      { id: 'claude-opus-4-1', name: 'Claude Opus 4.1', family: 'claude-opus', release: '2025-08-05', context: 200000, output: 32000, input: 15, outputCost: 75, cacheRead: 1.5, cacheWrite: 18.75, reasoning: true, image: true, pdf: true },
      { id: 'claude-sonnet-4-0', name: 'Claude Sonnet 4', family: 'claude-sonnet', release: '2025-05-22', context: 200000, output: 64000, input: 3, outputCost: 15, cacheRead: 0.3, cacheWrite: 3.75, reasoning: true, image: true, pdf: true },
      { id: 'claude-haiku-4-5', name: 'Claude Haiku 4.5', family: 'claude-haiku', release: '2025-10-15', context: 200000, output: 64000, input: 1, outputCost: 5, cacheRead: 0.1, cacheWrite: 1.25, reasoning: true, image: true, pdf: true },
      { id: 'claude-3-5-haiku-latest', name: 'Claude Haiku 3.5', family: 'claude-haiku', release: '2024-10-22', context: 200000, output: 8192, input: 0.8, outputCost: 4, cacheRead: 0.08, cacheWrite: 1, image: true, pdf: true },
    ],
  },
  {
    id: 'openai',
    name: 'OpenAI',
    env: ['OPENAI_API_KEY'],
    npm: '@ai-sdk/openai',
    api: 'https://api.openai.com/v1',
    preferred: ['gpt-5', 'gpt-4.1', 'o4-mini'],
    small: ['gpt-5-nano', 'gpt-5-mini', 'gpt-4.1-mini'],
    models: [
      { id: 'gpt-5', name: 'GPT-5', family: 'gpt-5', release: '2025-08-07', context: 400000, output: 128000, input: 1.25, outputCost: 10, cacheRead: 0.125, reasoning: true, image: true, temperature: false },
      { id: 'gpt-5-mini', name: 'GPT-5 mini', family: 'gpt-5', release: '2025-08-07', context: 400000, output: 128000, input: 0.25, outputCost: 2, cacheRead: 0.025, reasoning: true, image: true, temperature: false },
      { id: 'gpt-5-nano', name: 'GPT-5 nano', family: 'gpt-5', release: '2025-08-07', context: 400000, output: 128000, input: 0.05, outputCost: 0.4, cacheRead: 0.005, reasoning: true, image: true, temperature: false },
      { id: 'gpt-4.1', name: 'GPT-4.1', family: 'gpt-4.1', release: '2025-04-14', context: 1047576, output: 32768, input: 2, outputCost: 8, cacheRead: 0.5, image: true },
      { id: 'gpt-4.1-mini', name: 'GPT-4.1 mini', family: 'gpt-4.1', release: '2025-04-14', context: 1047576, output: 32768, input: 0.4, outputCost: 1.6, cacheRead: 0.1, image: true },
      { id: 'o4-mini', name: 'o4-mini', family: 'o', release: '2025-04-16', context: 200000, output: 100000, input: 1.1, outputCost: 4.4, cacheRead: 0.275, reasoning: true, image: true, temperature: false },
    ],
  },
  {
    id: 'google',
    name: 'Google',
    env: ['GOOGLE_GENERATIVE_AI_API_KEY', 'GEMINI_API_KEY'],
    npm: '@ai-sdk/openai-compatible',
    api: 'https://generativelanguage.googleapis.com/v1beta/openai',
    preferred: ['gemini-2.5-pro', 'gemini-2.5-flash'],
    small: ['gemini-2.5-flash-lite', 'gemini-2.5-flash'],
    models: [
      { id: 'gemini-2.5-pro', name: 'Gemini 2.5 Pro', family: 'gemini-pro', release: '2025-06-17', context: 1048576, output: 65536, input: 1.25, outputCost: 10, cacheRead: 0.31, reasoning: true, image: true, pdf: true },
      { id: 'gemini-2.5-flash', name: 'Gemini 2.5 Flash', family: 'gemini-flash', release: '2025-06-17', context: 1048576, output: 65536, input: 0.3, outputCost: 2.5, cacheRead: 0.075, reasoning: true, image: true, pdf: true },
      { id: 'gemini-2.5-flash-lite', name: 'Gemini 2.5 Flash-Lite', family: 'gemini-flash', release: '2025-07-22', context: 1048576, output: 65536, input: 0.1, outputCost: 0.4, cacheRead: 0.025, reasoning: true, image: true, pdf: true },
    ],
  },
  {
    id: 'openrouter',
    name: 'OpenRouter',
    env: ['OPENROUTER_API_KEY'],
    npm: '@ai-sdk/openai-compatible',
    api: 'https://openrouter.ai/api/v1',
    preferred: ['anthropic/claude-sonnet-4.5', 'openai/gpt-5'],
    small: ['anthropic/claude-haiku-4.5', 'google/gemini-2.5-flash'],
    models: [
      { id: 'anthropic/claude-sonnet-4.5', name: 'Claude Sonnet 4.5', family: 'claude-sonnet', release: '2025-09-29', context: 1000000, output: 64000, input: 3, outputCost: 15, reasoning: true, image: true },
      { id: 'anthropic/claude-haiku-4.5', name: 'Claude Haiku 4.5', family: 'claude-haiku', release: '2025-10-15', context: 200000, output: 64000, input: 1, outputCost: 5, reasoning: true, image: true },
      { id: 'openai/gpt-5', name: 'GPT-5', family: 'gpt-5', release: '2025-08-07', context: 400000, output: 128000, input: 1.25, outputCost: 10, reasoning: true, image: true },
      { id: 'google/gemini-2.5-flash', name: 'Gemini 2.5 Flash', family: 'gemini-flash', release: '2025-06-17', context: 1048576, output: 65536, input: 0.3, outputCost: 2.5, reasoning: true, image: true },
      { id: 'qwen/qwen3-coder', name: 'Qwen3 Coder', family: 'qwen', release: '2025-07-23', context: 262144, output: 65536, input: 0.2, outputCost: 0.8 },
    ],
  },
  {
    id: 'groq',
    name: 'Groq',
    env: ['GROQ_API_KEY'],
    npm: '@ai-sdk/openai-compatible',
    api: 'https://api.groq.com/openai/v1',
    preferred: ['moonshotai/kimi-k2-instruct', 'openai/gpt-oss-120b'],
    small: ['llama-3.1-8b-instant'],
    models: [
      { id: 'moonshotai/kimi-k2-instruct', name: 'Kimi K2', family: 'kimi', release: '2025-07-14', context: 131072, output: 16384, input: 1, outputCost: 3 },
      { id: 'openai/gpt-oss-120b', name: 'GPT OSS 120B', family: 'gpt-oss', release: '2025-08-05', context: 131072, output: 32768, input: 0.15, outputCost: 0.75, reasoning: true },
      { id: 'llama-3.1-8b-instant', name: 'Llama 3.1 8B Instant', family: 'llama', release: '2024-07-23', context: 131072, output: 8192, input: 0.05, outputCost: 0.08 },
    ],
  },
  {
    id: 'deepseek',
    name: 'DeepSeek',
    env: ['DEEPSEEK_API_KEY'],
    npm: '@ai-sdk/openai-compatible',
    api: 'https://api.deepseek.com/v1',
    preferred: ['deepseek-chat', 'deepseek-reasoner'],
    small: ['deepseek-chat'],
    models: [
      { id: 'deepseek-chat', name: 'DeepSeek Chat', family: 'deepseek', release: '2025-09-29', context: 128000, output: 8192, input: 0.28, outputCost: 0.42, cacheRead: 0.028 },
      { id: 'deepseek-reasoner', name: 'DeepSeek Reasoner', family: 'deepseek', release: '2025-09-29', context: 128000, output: 64000, input: 0.28, outputCost: 0.42, cacheRead: 0.028, reasoning: true },
    ],
  },
  {
    id: 'mistral',
    name: 'Mistral',
    env: ['MISTRAL_API_KEY'],
    npm: '@ai-sdk/openai-compatible',
    api: 'https://api.mistral.ai/v1',
    preferred: ['devstral-medium-latest', 'mistral-large-latest'],
    small: ['mistral-small-latest'],
    models: [
      { id: 'devstral-medium-latest', name: 'Devstral Medium', family: 'devstral', release: '2025-07-10', context: 131072, output: 32768, input: 0.4, outputCost: 2 },
      { id: 'mistral-large-latest', name: 'Mistral Large', family: 'mistral-large', release: '2024-11-18', context: 131072, output: 16384, input: 2, outputCost: 6 },
      { id: 'mistral-small-latest', name: 'Mistral Small', family: 'mistral-small', release: '2025-06-20', context: 131072, output: 16384, input: 0.1, outputCost: 0.3, image: true },
    ],
  },
  {
    id: 'xai',
    name: 'xAI',
    env: ['XAI_API_KEY'],
    npm: '@ai-sdk/openai-compatible',
    api: 'https://api.x.ai/v1',
    preferred: ['grok-code-fast-1', 'grok-4'],
    small: ['grok-3-mini'],
    models: [
      { id: 'grok-code-fast-1', name: 'Grok Code Fast 1', family: 'grok', release: '2025-08-28', context: 256000, output: 10000, input: 0.2, outputCost: 1.5, cacheRead: 0.02, reasoning: true },
      { id: 'grok-4', name: 'Grok 4', family: 'grok', release: '2025-07-09', context: 256000, output: 64000, input: 3, outputCost: 15, cacheRead: 0.75, reasoning: true, image: true },
      { id: 'grok-3-mini', name: 'Grok 3 Mini', family: 'grok', release: '2025-02-17', context: 131072, output: 8192, input: 0.3, outputCost: 0.5, reasoning: true },
    ],
  },
  {
    id: 'ollama',
    name: 'Ollama (local)',
    env: [],
    npm: '@ai-sdk/openai-compatible',
    api: 'http://127.0.0.1:11434/v1',
    local: true,
    preferred: ['qwen3-coder:30b', 'gpt-oss:20b'],
    small: ['qwen3:4b'],
    models: [
      { id: 'qwen3-coder:30b', name: 'Qwen3 Coder 30B', family: 'qwen', release: '2025-07-31', context: 262144, output: 65536 },
      { id: 'gpt-oss:20b', name: 'GPT OSS 20B', family: 'gpt-oss', release: '2025-08-05', context: 131072, output: 32768, reasoning: true },
      { id: 'qwen3:4b', name: 'Qwen3 4B', family: 'qwen', release: '2025-04-29', context: 40960, output: 8192, reasoning: true },
    ],
  },
  {
    id: 'lmstudio',
    name: 'LM Studio (local)',
    env: [],
    npm: '@ai-sdk/openai-compatible',
    api: 'http://127.0.0.1:1234/v1',
    local: true,
    preferred: ['qwen/qwen3-coder-30b', 'openai/gpt-oss-20b'],
    small: ['qwen/qwen3-coder-30b'],
    models: [
      { id: 'qwen/qwen3-coder-30b', name: 'Qwen3 Coder 30B', family: 'qwen', release: '2025-07-31', context: 262144, output: 65536 },
      { id: 'openai/gpt-oss-20b', name: 'GPT OSS 20B', family: 'gpt-oss', release: '2025-08-05', context: 131072, output: 32768, reasoning: true },
    ],
  },
]
