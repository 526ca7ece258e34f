import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { realpathSync } from 'node:fs'
import { cleanup, gitRepo, listen, startServer } from '../../support/helper.js'
import { expectMatchesReference } from '../../support/openapi.js'

describe('provider: v2 routes', () => {
  let client: ReturnType<typeof createOpencodeClient>
  let repo: string
  let base: string
  before(async () => {
    const config = {
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
            },
            fresh: { name: 'Fresh', release_date: '2026-06-01', reasoning: true, tool_call: true, attachment: true },
          },
        },
      },
    }
    repo = realpathSync(gitRepo({ 'opencode.json': JSON.stringify(config) }))
    const server = await startServer({ cwd: repo, env: { ANTHROPIC_API_KEY: 'sk-env-secret' } })
    base = await listen(server)
    client = createOpencodeClient({ baseUrl: base })
  })
  after(cleanup)

  it("lists the connected providers' models, newest first, without secrets", async () => {
    const { data, response } = await client.v2.model.list({ location: { directory: repo } })
    expect(response.status).to.equal(200)
    expectMatchesReference('GET', '/api/model', 200, data)
    const local = data!.data.filter((model) => model.providerID === 'local')
    expect(local.map((model) => model.id)).to.deep.equal(['fresh', 'old'])
    expect(local[0]).to.deep.include({ name: 'Fresh', status: 'active', enabled: true })
    expect(local[0]!.capabilities).to.deep.equal({ tools: true, input: ['text', 'image'], output: ['text'] })
    expect(local[0]!.api).to.deep.include({
      type: 'aisdk',
      package: '@ai-sdk/openai-compatible',
      url: 'http://127.0.0.1:1/v1',
    })
    expect(local[0]!.variants.map((variant) => variant.id)).to.include('high')
    expect(local[1]!.limit).to.deep.equal({ context: 1000, output: 100 })
    expect(data!.data.some((model) => model.providerID === 'anthropic')).to.equal(true)
    const released = data!.data.map((model) => model.time.released)
    expect(released).to.deep.equal([...released].sort((a, b) => b - a))
    expect(JSON.stringify(data)).to.not.match(/sk-(config|header|env)-secret/)
  })

  it('lists the connected providers and gets any known one', async () => {
    const { data } = await client.v2.provider.list({ location: { directory: repo } }, { throwOnError: true })
    expectMatchesReference('GET', '/api/provider', 200, data)
    const local = data!.data.find((provider) => provider.id === 'local')!
    expect(local).to.deep.equal({
      id: 'local',
      name: 'Local',
      api: { type: 'aisdk', package: '@ai-sdk/openai-compatible', url: 'http://127.0.0.1:1/v1' },
      request: { headers: {}, body: { baseURL: 'http://127.0.0.1:1/v1', timeout: 5000 } },
    })
    expect(data!.data.map((provider) => provider.id)).to.not.include('openai')

    const openai = (
      await client.v2.provider.get({ providerID: 'openai', location: { directory: repo } }, { throwOnError: true })
    ).data!
    expectMatchesReference('GET', '/api/provider/{providerID}', 200, openai)
    expect(openai.data.disabled).to.equal(true)

    const unknown = await fetch(`${base}/api/provider/nope`)
    expect(unknown.status).to.equal(404)
    const body = await unknown.json()
    expect(body).to.deep.equal({
      _tag: 'ProviderNotFoundError',
      message: 'Provider not found: nope',
      providerID: 'nope',
    })
    expectMatchesReference('GET', '/api/provider/{providerID}', 404, body)
  })
})
