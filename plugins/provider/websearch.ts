// Web search (`/api/websearch`): OpenCode 2.1's five search services, each called over its REST
// API with the key of its integration (a stored credential, else its env var). The service is
// the request's `providerID`, else config `websearch.provider` (`"random"`: any with a key).
import type { ProviderKernel } from './index.js'
import { ServiceUnavailableError, TaggedError, type Instance } from '../../sdk/index.js'

/** A search answers within this time (OpenCode: 25 s). */
const SEARCH_TIMEOUT_MS = 25_000
const MAX_RESULTS = 8

export interface WebSearchResult {
  url: string
  title?: string
  content?: string
  time: { published?: number }
}

interface Call {
  url: string
  key: string
  query: string
}

interface SearchService {
  id: string
  name: string
  /** The env var its key may come from. */
  env: string
  /** Its API's origin; `OPENCODE_WEBSEARCH_<ID>_URL` replaces it (a proxy, a test server). */
  origin: string
  request(call: Call): { url: string; init: RequestInit }
  results(body: unknown): WebSearchResult[]
}

type Json = Record<string, unknown>
const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : [])
const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined)

function result(url: unknown, title: unknown, content: unknown, published: unknown): WebSearchResult[] {
  const link = text(url)
  if (!link) return []
  const time = text(published) ? Date.parse(published as string) : NaN
  return [
    {
      url: link,
      ...(text(title) ? { title: title as string } : {}),
      ...(text(content) ? { content: content as string } : {}),
      time: Number.isFinite(time) ? { published: time } : {},
    },
  ]
}

const jsonPost = (url: string, headers: Record<string, string>, body: unknown) => ({
  url,
  init: { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) },
})

export const WEBSEARCH_SERVICES: readonly SearchService[] = [
  {
    id: 'exa',
    name: 'Exa',
    env: 'EXA_API_KEY',
    origin: 'https://api.exa.ai',
    request: ({ url, key, query }) =>
      jsonPost(`${url}/search`, { 'x-api-key': key }, { query, numResults: MAX_RESULTS, contents: { text: true } }),
    results: (body) =>
      list((body as Json).results).flatMap((item) => result(item.url, item.title, item.text, item.publishedDate)),
  },
  {
    id: 'firecrawl',
    name: 'Firecrawl',
    env: 'FIRECRAWL_API_KEY',
    origin: 'https://api.firecrawl.dev',
    request: ({ url, key, query }) =>
      jsonPost(`${url}/v2/search`, { authorization: `Bearer ${key}` }, { query, limit: MAX_RESULTS }),
    results: (body) => {
      const data = (body as Json).data
      const web = Array.isArray(data) ? data : (data as Json | undefined)?.web
      return list(web).flatMap((item) => result(item.url, item.title, item.description, undefined))
    },
  },
  {
    id: 'parallel',
    name: 'Parallel',
    env: 'PARALLEL_API_KEY',
    origin: 'https://api.parallel.ai',
    request: ({ url, key, query }) =>
      jsonPost(
        `${url}/v1beta/search`,
        { 'x-api-key': key },
        { objective: query, search_queries: [query], max_results: MAX_RESULTS },
      ),
    results: (body) =>
      list((body as Json).results).flatMap((item) =>
        result(item.url, item.title, list(item.excerpts).join('\n'), item.publish_date),
      ),
  },
  {
    id: 'tavily',
    name: 'Tavily',
    env: 'TAVILY_API_KEY',
    origin: 'https://api.tavily.com',
    request: ({ url, key, query }) =>
      jsonPost(`${url}/search`, { authorization: `Bearer ${key}` }, { query, max_results: MAX_RESULTS }),
    results: (body) =>
      list((body as Json).results).flatMap((item) => result(item.url, item.title, item.content, item.published_date)),
  },
  {
    id: 'tinyfish',
    name: 'TinyFish',
    env: 'TINYFISH_API_KEY',
    origin: 'https://api.search.tinyfish.ai',
    request: ({ url, key, query }) => ({
      url: `${url}/?${new URLSearchParams({ query })}`,
      init: { method: 'GET', headers: { 'x-api-key': key } },
    }),
    results: (body) =>
      list((body as Json).results).flatMap((item) => result(item.url, item.title, item.snippet, item.date)),
  },
]

/** The search services as integrations (each connected with a key or its env var). */
export const WEBSEARCH_PROVIDERS = WEBSEARCH_SERVICES.map(({ id, name, env }) => ({ id, name, env }))

/** A search that cannot run as asked: 400 with OpenCode's kinds (`websearch_provider_required` …). */
export class WebSearchError extends TaggedError {
  constructor(message: string, kind: string, field = 'providerID') {
    super('InvalidRequestError', 400, message, { kind, field })
  }
}

export class WebSearch {
  constructor(
    private readonly kernel: Pick<ProviderKernel, 'config' | 'env'>,
    /** The active stored key of an integration, if any. */
    private readonly storedKey: (integrationID: string) => string | undefined,
  ) {}

  private keyOf(service: SearchService): string | undefined {
    return this.storedKey(service.id) ?? text(this.kernel.env[service.env])
  }

  /** The service a search uses: the one asked for, else the configured one. */
  private choose(instance: Instance, providerID: string | undefined): SearchService {
    if (providerID !== undefined) {
      const asked = WEBSEARCH_SERVICES.find((service) => service.id === providerID)
      if (!asked)
        throw new WebSearchError(`Web search provider not found: ${providerID}`, 'websearch_provider_not_found')
      return asked
    }
    const configured = this.kernel.config(instance).websearch
    if (configured === false)
      throw new WebSearchError('Web search is disabled in config ("websearch": false)', 'websearch_disabled')
    const wanted = text((configured as { provider?: unknown } | undefined)?.provider)
    if (wanted === 'random') {
      const usable = WEBSEARCH_SERVICES.filter((service) => this.keyOf(service) !== undefined)
      const chosen = usable[Math.floor(Math.random() * usable.length)]
      if (!chosen)
        throw new WebSearchError('No web search provider has a key: connect one first', 'websearch_provider_required')
      return chosen
    }
    if (wanted === undefined) throw new WebSearchError('Web search provider is required', 'websearch_provider_required')
    const found = WEBSEARCH_SERVICES.find((service) => service.id === wanted)
    if (!found)
      throw new WebSearchError(
        `Web search provider not found: ${wanted}`,
        'websearch_provider_not_found',
        'websearch.provider',
      )
    return found
  }

  async query(
    instance: Instance,
    query: string,
    providerID: string | undefined,
  ): Promise<{ providerID: string; results: WebSearchResult[] }> {
    const service = this.choose(instance, providerID)
    const key = this.keyOf(service)
    if (key === undefined)
      throw new WebSearchError(
        `Web search provider ${service.id} needs an API key: connect the ${service.id} integration or set ${service.env}`,
        'websearch_credential_required',
      )
    const origin = text(this.kernel.env[`OPENCODE_WEBSEARCH_${service.id.toUpperCase()}_URL`]) ?? service.origin
    const { url, init } = service.request({ url: origin.replace(/\/+$/, ''), key, query })
    let body: unknown
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(SEARCH_TIMEOUT_MS) })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      body = await response.json()
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new ServiceUnavailableError(`Web search request failed: ${service.id} (${reason})`, service.id)
    }
    return { providerID: service.id, results: service.results(body).slice(0, MAX_RESULTS) }
  }
}
