import { expect } from 'chai'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { realpathSync } from 'node:fs'
import { cleanup, gitRepo, onCleanup } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'
import { sessionHarness, type SessionHarness } from '../../support/session.js'

interface Recorded {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

/** A real HTTP server standing in for a web service: records each request, answers with `respond`. */
async function serviceFixture() {
  const requests: Recorded[] = []
  const state = {
    respond: (_request: Recorded, response: ServerResponse): void => void response.writeHead(500).end(),
  }
  const server = createServer(async (request, response) => {
    let body = ''
    for await (const chunk of request) body += chunk
    const recorded = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body }
    requests.push(recorded)
    state.respond(recorded, response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onCleanup(() => new Promise((resolve) => server.close(resolve)))
  const json = (response: ServerResponse, status: number, body: unknown) =>
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, state, json }
}

describe('provider: OpenCode 2.1 web search, generation and voice', () => {
  let h: SessionHarness
  let search: Awaited<ReturnType<typeof serviceFixture>>
  let openai: Awaited<ReturnType<typeof serviceFixture>>
  /** Repos with their own config, each a location of the same server. */
  const repos: Record<string, string> = {}
  const request = async (method: string, url: string, body?: unknown, directory?: string) => {
    const response = await h.server.app.inject({
      method: method as 'GET',
      url,
      headers: directory ? { 'x-opencode-directory': directory } : {},
      ...(body === undefined ? {} : { payload: body as object }),
    })
    return { status: response.statusCode, body: response.body ? response.json() : undefined }
  }
  const at = (url: string, directory: string) => `${url}?location%5Bdirectory%5D=${encodeURIComponent(directory)}`

  before(async function () {
    // A server, a repo and fixtures: slow on a loaded machine.
    this.timeout(60_000)
    search = await serviceFixture()
    openai = await serviceFixture()
    h = await sessionHarness({
      config: { websearch: { provider: 'exa' } },
      server: {
        env: {
          OPENCODE_WEBSEARCH_EXA_URL: search.url,
          OPENCODE_WEBSEARCH_TAVILY_URL: `${search.url}/tavily/`,
          TAVILY_API_KEY: 'tvly-env-key',
        },
      },
    })
    repos.none = realpathSync(gitRepo({ 'opencode.json': '{}' }))
    repos.off = realpathSync(gitRepo({ 'opencode.json': JSON.stringify({ websearch: false }) }))
    repos.random = realpathSync(gitRepo({ 'opencode.json': JSON.stringify({ websearch: { provider: 'random' } }) }))
    repos.voice = realpathSync(
      gitRepo({
        'opencode.json': JSON.stringify({ provider: { openai: { options: { baseURL: `${openai.url}/v1` } } } }),
      }),
    )
  })
  after(cleanup)

  it('lists the web search providers', async () => {
    const response = await request('GET', at('/api/websearch/provider', h.repo))
    expect(response.status).to.equal(200)
    expectMatches21('GET', '/api/websearch/provider', 200, response.body)
    expect(response.body.data).to.deep.equal([
      { id: 'exa', name: 'Exa' },
      { id: 'firecrawl', name: 'Firecrawl' },
      { id: 'parallel', name: 'Parallel' },
      { id: 'tavily', name: 'Tavily' },
      { id: 'tinyfish', name: 'TinyFish' },
    ])
  })

  it('searches with the configured provider and its stored key, or the one asked for', async () => {
    const query = (body: unknown, directory = h.repo) => request('POST', at('/api/websearch', directory), body)
    const noKey = await query({ query: 'opencode' })
    expect(noKey.status).to.equal(400)
    expectMatches21('POST', '/api/websearch', 400, noKey.body)
    expect(noKey.body).to.deep.include({ kind: 'websearch_credential_required', field: 'providerID' })
    expect(search.requests).to.deep.equal([])

    expect(
      (await request('POST', at('/api/integration/exa/connect/key', h.repo), { key: 'exa-stored-key' })).status,
    ).to.equal(204)
    search.state.respond = (_request, response) =>
      search.json(response, 200, {
        results: [
          { url: 'https://opencode.ai', title: 'OpenCode', text: 'The agent', publishedDate: '2026-01-02T00:00:00Z' },
          { url: 'https://example.com', title: null },
          { title: 'no url' },
        ],
      })
    const found = await query({ query: 'opencode' })
    expect(found.status).to.equal(200)
    expectMatches21('POST', '/api/websearch', 200, found.body)
    expect(found.body.data).to.deep.equal({
      providerID: 'exa',
      results: [
        {
          url: 'https://opencode.ai',
          title: 'OpenCode',
          content: 'The agent',
          time: { published: Date.parse('2026-01-02T00:00:00Z') },
        },
        { url: 'https://example.com', time: {} },
      ],
    })
    const sent = search.requests.at(-1)!
    expect(sent).to.deep.include({ method: 'POST', url: '/search' })
    expect(sent.headers['x-api-key']).to.equal('exa-stored-key')
    expect(JSON.parse(sent.body)).to.deep.include({ query: 'opencode' })

    // Asked for by id: tavily, with its env key.
    search.state.respond = (_request, response) =>
      search.json(response, 200, { results: [{ url: 'https://t.example', title: 'T', content: 'c' }] })
    const tavily = await query({ query: 'q', providerID: 'tavily' })
    expect(tavily.body.data).to.deep.equal({
      providerID: 'tavily',
      results: [{ url: 'https://t.example', title: 'T', content: 'c', time: {} }],
    })
    expect(search.requests.at(-1)).to.deep.include({ url: '/tavily/search' })
    expect(search.requests.at(-1)!.headers.authorization).to.equal('Bearer tvly-env-key')

    // "random": one of those with a key.
    const random = await query({ query: 'q' }, repos.random!)
    expect(random.status).to.equal(200)
    expect(['exa', 'tavily']).to.include(random.body.data.providerID)

    search.state.respond = (_request, response) => search.json(response, 401, { error: 'bad key' })
    const failed = await query({ query: 'q' })
    expect(failed.status).to.equal(503)
    expectMatches21('POST', '/api/websearch', 503, failed.body)
    expect(failed.body).to.deep.equal({
      _tag: 'ServiceUnavailableError',
      message: 'Web search request failed: exa (HTTP 401)',
      service: 'exa',
    })
  })

  it('needs a provider, a known one, and a query', async () => {
    const before = search.requests.length
    const cases: [string, unknown, string | undefined][] = [
      [repos.none!, { query: 'q' }, 'websearch_provider_required'],
      [repos.off!, { query: 'q' }, 'websearch_disabled'],
      [h.repo, { query: 'q', providerID: 'nope' }, 'websearch_provider_not_found'],
      [h.repo, {}, 'Payload'],
      [h.repo, { query: '' }, 'Payload'],
      [h.repo, { query: 5 }, 'Payload'],
    ]
    for (const [directory, body, kind] of cases) {
      const response = await request('POST', at('/api/websearch', directory), body)
      expect(response.status, JSON.stringify(body)).to.equal(400)
      expectMatches21('POST', '/api/websearch', 400, response.body)
      expect(response.body.kind).to.equal(kind)
    }
    expect(search.requests.length).to.equal(before)
  })

  it("generates text with the location's default model, or the one named", async () => {
    h.llm.script({ text: 'Generated once.' })
    const generated = await request('POST', '/api/experimental/generate', { prompt: 'Say it' }, h.repo)
    expect(generated.status).to.equal(200)
    expectMatches21('POST', '/api/experimental/generate', 200, generated.body)
    expect(generated.body).to.deep.equal({ data: { text: 'Generated once.' } })
    const sent = h.llm.requests.at(-1)!
    expect(sent.body.model).to.equal('test-model')
    expect(JSON.stringify(sent.body.messages)).to.contain('Say it')

    h.llm.script({ text: 'By id.' }, { text: 'By model.' })
    for (const [model, text] of [
      [{ providerID: 'scripted', id: 'test-model' }, 'By id.'],
      [{ providerID: 'scripted', model: 'test-model', variant: 'none' }, 'By model.'],
    ] as const) {
      const named = await request('POST', '/api/experimental/generate', { prompt: 'x', model }, repos.none)
      expect(named.status, JSON.stringify(model)).to.equal(400)
      // The scripted provider exists in the harness repo's config only: the request's location decides.
      const here = await request('POST', '/api/experimental/generate', { prompt: 'x', model }, h.repo)
      expect(here.body).to.deep.equal({ data: { text } })
    }

    // Tried twice (one retry), failing both times.
    h.llm.script({ status: 500, error: 'model exploded' }, { status: 500, error: 'model exploded' })
    const failed = await request('POST', '/api/experimental/generate', { prompt: 'x' }, h.repo)
    expect(failed.status).to.equal(503)
    expectMatches21('POST', '/api/experimental/generate', 503, failed.body)
    expect(failed.body).to.deep.include({ _tag: 'ServiceUnavailableError', service: 'scripted' })
    expect(failed.body.message).to.contain('model exploded')
    expect(h.llm.pending).to.equal(0)
  })

  it('answers a precise 400 without a model, for an unknown one and for bad input, calling nothing', async () => {
    const calls = h.llm.requests.length
    const none = await request('POST', '/api/experimental/generate', { prompt: 'x' }, repos.none)
    expect(none.status).to.equal(400)
    expectMatches21('POST', '/api/experimental/generate', 400, none.body)
    expect(none.body).to.deep.include({ _tag: 'InvalidRequestError', kind: 'model_required', field: 'model' })
    const unknown = await request(
      'POST',
      '/api/experimental/generate',
      { prompt: 'x', model: { providerID: 'scripted', id: 'nope' } },
      h.repo,
    )
    expect(unknown.status).to.equal(400)
    expect(unknown.body).to.deep.include({ message: 'Model unavailable: scripted/nope', kind: 'model_unavailable' })
    for (const body of [
      {},
      { prompt: '' },
      { prompt: 5 },
      { prompt: 'x', model: { id: 'test-model' } },
      { prompt: 'x', model: { providerID: 'scripted' } },
      { prompt: 'x', model: 'scripted/test-model' },
    ]) {
      const response = await request('POST', '/api/experimental/generate', body, h.repo)
      expect(response.status, JSON.stringify(body)).to.equal(400)
      expectMatches21('POST', '/api/experimental/generate', 400, response.body)
    }
    expect(h.llm.requests.length).to.equal(calls)
  })

  it('refuses a voice session at once without an OpenAI key', async () => {
    const started = Date.now()
    const response = await request(
      'POST',
      '/api/experimental/voice/session',
      { model: 'gpt-realtime', transport: { type: 'websocket' } },
      repos.voice,
    )
    expect(Date.now() - started).to.be.below(2000)
    expect(response.status).to.equal(503)
    expectMatches21('POST', '/api/experimental/voice/session', 503, response.body)
    expect(response.body).to.deep.include({ _tag: 'ServiceUnavailableError', service: 'openai' })
    expect(openai.requests).to.deep.equal([])
  })

  it("brokers a voice session with the server's OpenAI key over WebSocket and WebRTC", async () => {
    expect((await request('PUT', '/auth/openai', { type: 'api', key: 'sk-openai-secret' })).status).to.equal(200)
    openai.state.respond = (recorded, response) => {
      if (recorded.url === '/v1/realtime/client_secrets')
        return void openai.json(response, 200, { value: 'ek_ephemeral', expires_at: 1_900_000_000 })
      if (recorded.url === '/v1/realtime/calls')
        return void response.writeHead(201, { 'content-type': 'application/sdp' }).end('v=0 answer')
      response.writeHead(404).end()
    }
    const websocket = await request(
      'POST',
      '/api/experimental/voice/session',
      { model: 'gpt-realtime', session: { voice: 'marin' }, transport: { type: 'websocket' } },
      repos.voice,
    )
    expect(websocket.status).to.equal(200)
    expectMatches21('POST', '/api/experimental/voice/session', 200, websocket.body)
    const port = new URL(openai.url).port
    expect(websocket.body.data.transport).to.deep.equal({
      type: 'websocket',
      url: `ws://127.0.0.1:${port}/v1/realtime?model=gpt-realtime`,
      token: 'ek_ephemeral',
      expiresAt: 1_900_000_000_000,
    })
    const secret = openai.requests.at(-1)!
    expect(secret.headers.authorization).to.equal('Bearer sk-openai-secret')
    expect(JSON.parse(secret.body)).to.deep.equal({
      session: { voice: 'marin', type: 'realtime', model: 'gpt-realtime' },
    })
    expect(JSON.stringify(websocket.body)).to.not.contain('sk-openai-secret')

    const webrtc = await request(
      'POST',
      '/api/experimental/voice/session',
      { model: 'gpt-realtime', transport: { type: 'webrtc', sdp: 'v=0 offer' } },
      repos.voice,
    )
    expect(webrtc.status).to.equal(200)
    expectMatches21('POST', '/api/experimental/voice/session', 200, webrtc.body)
    expect(webrtc.body.data.transport).to.deep.equal({ type: 'webrtc', sdp: 'v=0 answer' })
    expect(openai.requests.at(-1)!.body).to.contain('v=0 offer')

    openai.state.respond = (_recorded, response) => openai.json(response, 401, { error: { message: 'bad key' } })
    const refused = await request(
      'POST',
      '/api/experimental/voice/session',
      { model: 'gpt-realtime', transport: { type: 'websocket' } },
      repos.voice,
    )
    expect(refused.status).to.equal(503)
    expect(refused.body).to.deep.include({ service: 'openai' })
    expect(refused.body.message).to.contain('HTTP 401')

    const count = openai.requests.length
    for (const body of [
      {},
      { model: 'gpt-realtime' },
      { model: 'gpt-realtime', transport: { type: 'carrier-pigeon' } },
      { model: 'gpt-realtime', transport: { type: 'webrtc' } },
      { model: '', transport: { type: 'websocket' } },
    ]) {
      const response = await request('POST', '/api/experimental/voice/session', body, repos.voice)
      expect(response.status, JSON.stringify(body)).to.equal(400)
      expectMatches21('POST', '/api/experimental/voice/session', 400, response.body)
    }
    expect(openai.requests.length).to.equal(count)
    expect((await request('DELETE', '/auth/openai')).status).to.equal(200)
  })
})
