import { expect } from 'chai'
import { realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, gitRepo, startServer, type TestServer } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

const CONFIG = {
  provider: {
    local: {
      npm: '@ai-sdk/openai-compatible',
      name: 'Local',
      options: { baseURL: 'http://127.0.0.1:1/v1', apiKey: 'sk-config-secret', timeout: 5000 },
      models: {
        old: {
          name: 'Old',
          release_date: '2024-01-01',
          limit: { context: 1000, output: 100 },
          headers: { authorization: 'Bearer sk-header-secret' },
          options: { apiKey: 'sk-model-secret', store: false },
        },
        fresh: {
          id: 'fresh-2026',
          name: 'Fresh',
          release_date: '2026-06-01',
          reasoning: true,
          tool_call: true,
          attachment: true,
        },
      },
    },
  },
}

describe('provider: OpenCode 2.1 models and providers', () => {
  let server: TestServer
  let repo: string
  const get = async (url: string, directory = repo) => {
    const separator = url.includes('?') ? '&' : '?'
    const response = await server.app.inject({
      url: `${url}${separator}location%5Bdirectory%5D=${encodeURIComponent(directory)}`,
    })
    return { status: response.statusCode, body: response.json() }
  }

  before(async function () {
    // A server, a repo and fixtures: slow on a loaded machine.
    this.timeout(60_000)
    repo = realpathSync(gitRepo({ 'opencode.json': JSON.stringify(CONFIG) }))
    server = await startServer({ cwd: repo, only: ['core', 'provider'], env: { ANTHROPIC_API_KEY: 'sk-env-secret' } })
  })
  after(cleanup)

  it("lists the connected providers' models, newest first, without keys or headers", async () => {
    const { status, body } = await get('/api/model')
    expect(status).to.equal(200)
    expectMatches21('GET', '/api/model', 200, body)
    expect(body.location).to.deep.equal({ directory: repo })
    const local = body.data.filter((model: any) => model.providerID === 'local')
    expect(local.map((model: any) => model.id)).to.deep.equal(['fresh', 'old'])
    expect(local[0]).to.deep.include({
      id: 'fresh',
      modelID: 'fresh-2026',
      name: 'Fresh',
      package: '@ai-sdk/openai-compatible',
      status: 'active',
      enabled: true,
    })
    expect(local[0].capabilities).to.deep.equal({
      tools: true,
      input: ['text', 'image'],
      output: ['text'],
      temperature: true,
    })
    expect(local[0].settings).to.deep.equal({ baseURL: 'http://127.0.0.1:1/v1' })
    expect(local[0].variants).to.deep.include({ id: 'high', settings: { reasoningEffort: 'high' } })
    expect(local[1].settings).to.deep.equal({ baseURL: 'http://127.0.0.1:1/v1', store: false })
    expect(local[1].limit).to.deep.equal({ context: 1000, output: 100 })
    expect(local[1].cost).to.deep.equal([{ input: 0, output: 0, cache: { read: 0, write: 0 } }])
    expect(body.data.some((model: any) => model.providerID === 'anthropic')).to.equal(true)
    const released = body.data.map((model: any) => model.time.released)
    expect(released).to.deep.equal([...released].sort((a: number, b: number) => b - a))
    expect(JSON.stringify(body)).to.not.match(/sk-(config|header|env|model)-secret/)
  })

  it('answers the default model: the configured one, the best connected one, or null', async () => {
    const withEnv = await get('/api/model/default')
    expectMatches21('GET', '/api/model/default', 200, withEnv.body)
    expect(withEnv.body.data).to.deep.include({ providerID: 'anthropic', id: 'claude-sonnet-4-5' })

    const configured = realpathSync(
      gitRepo({ 'opencode.json': JSON.stringify({ ...CONFIG, model: { providerID: 'local', model: 'old' } }) }),
    )
    const chosen = await get('/api/model/default', configured)
    expectMatches21('GET', '/api/model/default', 200, chosen.body)
    expect(chosen.body.data).to.deep.include({ providerID: 'local', id: 'old' })
    writeFileSync(join(configured, 'opencode.json'), JSON.stringify({ ...CONFIG, model: 'local/fresh#high' }))
    server.kernel.invalidateConfig(await server.kernel.instances.get(configured))
    expect((await get('/api/model/default', configured)).body.data).to.deep.include({ id: 'fresh' })

    const unknown = realpathSync(gitRepo({ 'opencode.json': JSON.stringify({ model: 'nope/none' }) }))
    const none = await get('/api/model/default', unknown)
    expect(none.status).to.equal(200)
    expectMatches21('GET', '/api/model/default', 200, none.body)
    expect(none.body).to.deep.equal({ location: { directory: unknown }, data: null })
  })

  it('lists the connected providers and gets any known one', async () => {
    const { body } = await get('/api/provider')
    expectMatches21('GET', '/api/provider', 200, body)
    const byID = new Map(body.data.map((provider: any) => [provider.id, provider]))
    expect(byID.get('local')).to.deep.equal({
      id: 'local',
      integrationID: 'local',
      name: 'Local',
      activation: 'enabled',
      package: '@ai-sdk/openai-compatible',
      settings: { baseURL: 'http://127.0.0.1:1/v1', timeout: 5000 },
    })
    expect(byID.get('anthropic')).to.deep.include({ activation: 'auto', integrationID: 'anthropic' })
    expect(byID.has('openai')).to.equal(false)
    expect(JSON.stringify(body)).to.not.match(/sk-(config|env)-secret/)

    const openai = await get('/api/provider/openai')
    expect(openai.status).to.equal(200)
    expectMatches21('GET', '/api/provider/{providerID}', 200, openai.body)
    expect(openai.body.data).to.deep.include({ id: 'openai', name: 'OpenAI', activation: 'auto' })

    const unknown = await get('/api/provider/nope')
    expect(unknown.status).to.equal(404)
    expectMatches21('GET', '/api/provider/{providerID}', 404, unknown.body)
    expect(unknown.body).to.deep.equal({
      _tag: 'ProviderNotFoundError',
      message: 'Provider not found: nope',
      providerID: 'nope',
    })
  })

  it("refuses a location that is not a directory with 2.1's 404 LocationNotFoundError", async () => {
    for (const url of ['/api/model', '/api/model/default', '/api/provider', '/api/provider/local']) {
      const response = await get(url, join(repo, 'missing'))
      expect(response.status, url).to.equal(404)
      expect(response.body._tag, url).to.equal('LocationNotFoundError')
    }
  })
})
