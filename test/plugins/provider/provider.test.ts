import { expect } from 'chai'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../../kernel/core/version.js'
import { cleanup, gitRepo, startServer } from '../../support/helper.js'
import { sessionHarness } from '../../support/session.js'

const OAUTH = join(PACKAGE_ROOT, 'dist/test/fixtures/oauth-plugin.js')

async function providerServer(
  config: Record<string, unknown> = {},
  env: Record<string, string> = {},
  plugins: string[] = [],
) {
  const repo = gitRepo()
  writeFileSync(join(repo, 'opencode.json'), JSON.stringify(config))
  const server = await startServer({ cwd: repo, only: ['core', 'provider'], env, plugins })
  const get = async (url: string) => (await server.app.inject({ url })).json()
  return { server, repo, get }
}

describe('plugin: provider', () => {
  afterEach(cleanup)

  it('ships a catalogue that works offline, with defaults and nothing connected', async () => {
    const { get } = await providerServer()
    const list = await get('/provider')
    const ids = list.all.map((p: any) => p.id)
    expect(ids).to.include.members(['anthropic', 'openai', 'google', 'openrouter', 'ollama'])
    expect(list.connected).to.deep.equal([])
    expect(list.default.anthropic).to.equal('claude-sonnet-4-5')
    const sonnet = list.all.find((p: any) => p.id === 'anthropic').models['claude-sonnet-4-5']
    expect(sonnet).to.include({ providerID: 'anthropic', name: 'Claude Sonnet 4.5' })
    expect(sonnet.cost.input).to.equal(3)
    expect(sonnet.limit.context).to.equal(200000)
    expect(await get('/config/providers')).to.deep.equal({ providers: [], default: {} })
  })

  it('connects a provider from its environment variable', async () => {
    const { get } = await providerServer({}, { ANTHROPIC_API_KEY: 'sk-env-secret' })
    const list = await get('/provider')
    expect(list.connected).to.deep.equal(['anthropic'])
    const configured = await get('/config/config/providers')
    expect(configured.providers.map((p: any) => p.id)).to.deep.equal(['anthropic'])
    expect(configured.default).to.deep.equal({ anthropic: 'claude-sonnet-4-5' })
    expect(JSON.stringify(list)).not.to.contain('sk-env-secret')
  })

  it('adds config providers and models, serves both config paths alike, and filters', async () => {
    const config = {
      provider: {
        local: {
          npm: '@ai-sdk/openai-compatible',
          name: 'Local',
          options: { baseURL: 'http://127.0.0.1:1/v1', apiKey: 'sk-config-secret' },
          models: { tiny: { name: 'Tiny', limit: { context: 1000, output: 100 } } },
        },
        openai: { models: { 'gpt-5': { name: 'Renamed GPT-5' } }, whitelist: ['gpt-5'] },
      },
      disabled_providers: ['groq'],
    }
    const { get } = await providerServer(config)
    const seed = await get('/config/config/providers')
    expect(await get('/config/providers')).to.deep.equal(seed)
    expect(seed.providers.map((p: any) => p.id)).to.deep.equal(['local'])
    const local = seed.providers[0]
    expect(local).to.include({ name: 'Local', source: 'custom' })
    expect(local.options).to.deep.equal({ baseURL: 'http://127.0.0.1:1/v1' })
    expect(local.models.tiny.limit).to.deep.equal({ context: 1000, output: 100 })
    const all = (await get('/provider')).all
    expect(all.map((p: any) => p.id)).not.to.include('groq')
    const openai = all.find((p: any) => p.id === 'openai')
    expect(Object.keys(openai.models)).to.deep.equal(['gpt-5'])
    expect(openai.models['gpt-5'].name).to.equal('Renamed GPT-5')
    expect(JSON.stringify(all)).not.to.contain('sk-config-secret')

    const only = await providerServer({ enabled_providers: ['anthropic', 'openai'] })
    expect((await only.get('/provider')).all.map((p: any) => p.id)).to.deep.equal(['anthropic', 'openai'])
  })

  it('stores credentials in auth.json with mode 0600 and never returns them', async () => {
    const { server, get } = await providerServer()
    const put = await server.app.inject({
      method: 'PUT',
      url: '/auth/anthropic',
      payload: { type: 'api', key: 'sk-stored-secret' },
    })
    expect(put.statusCode).to.equal(200)
    expect(put.body).to.equal('true')
    const file = join(server.dataDir, 'auth.json')
    expect(statSync(file).mode & 0o777).to.equal(0o600)
    // The fields v1 (and OpenCode 1.x) read, and the id and time OpenCode 2.1's credential list shows.
    const stored = () => JSON.parse(readFileSync(file, 'utf8'))
    expect(Object.keys(stored())).to.deep.equal(['anthropic'])
    expect(stored().anthropic).to.deep.include({ type: 'api', key: 'sk-stored-secret' })
    expect(stored().anthropic.id).to.match(/^cred_/)
    const before = readFileSync(file, 'utf8')
    const list = await get('/provider')
    expect(list.connected).to.deep.equal(['anthropic'])
    expect(list.all.find((p: any) => p.id === 'anthropic').source).to.equal('api')
    for (const url of ['/provider', '/provider/auth', '/config/providers', '/config/config/providers', '/doc']) {
      expect((await server.app.inject({ url })).body, url).not.to.contain('sk-stored-secret')
    }

    for (const payload of [
      { type: 'api' },
      { type: 'api', key: '' },
      { type: 'oauth', refresh: 'r' },
      { type: 'magic', key: 'k' },
    ]) {
      const bad = await server.app.inject({ method: 'PUT', url: '/auth/anthropic', payload })
      expect(bad.statusCode, JSON.stringify(payload)).to.equal(400)
    }
    expect(
      (await server.app.inject({ method: 'PUT', url: '/auth/..%2Fetc', payload: { type: 'api', key: 'k' } }))
        .statusCode,
    ).to.equal(400)
    expect(readFileSync(file, 'utf8')).to.equal(before)

    expect(
      (
        await server.app.inject({
          method: 'PUT',
          url: '/auth/openai',
          payload: { type: 'wellknown', key: 'k', token: 't', extra: 'dropped' },
        })
      ).statusCode,
    ).to.equal(200)
    const { id: _id, created: _created, ...openai } = stored().openai
    expect(openai).to.deep.equal({ type: 'wellknown', key: 'k', token: 't' })
    expect((await server.app.inject({ method: 'DELETE', url: '/auth/anthropic' })).json()).to.equal(true)
    expect(Object.keys(stored())).to.deep.equal(['openai'])
    expect(statSync(file).mode & 0o777).to.equal(0o600)
  })

  it('sends the stored key to the provider, replacing the config key', async () => {
    const h = await sessionHarness()
    h.llm.script({ text: 'one' }, { text: 'two' })
    const session = await h.createSession()
    await h.prompt(session.id, 'hi')
    expect(h.llm.requests[0]!.headers.authorization).to.equal('Bearer test-key')
    await h.call('PUT', '/auth/scripted', { type: 'api', key: 'stored-key' })
    await h.prompt(session.id, 'again')
    expect(h.llm.requests[1]!.headers.authorization).to.equal('Bearer stored-key')
  })

  it('logs in with an OAuth method a plugin registers, and answers 404/400 for the rest', async () => {
    const config = {
      provider: {
        scripted: {
          npm: '@ai-sdk/openai-compatible',
          options: { baseURL: 'http://127.0.0.1:1/v1' },
          models: { m: {} },
        },
      },
    }
    const { server, get } = await providerServer(config, {}, [OAUTH])
    const auth = await get('/provider/auth')
    expect(auth.scripted).to.deep.equal([
      { type: 'oauth', label: 'Scripted SSO' },
      { type: 'api', label: 'API key' },
    ])
    expect(auth.anthropic).to.deep.equal([{ type: 'api', label: 'API key' }])
    const post = (url: string, payload: unknown) =>
      server.app.inject({ method: 'POST', url, payload: payload as object })

    expect((await post('/provider/scripted/oauth/callback', { method: 0, code: 'good-code' })).statusCode).to.equal(400)
    const started = await post('/provider/scripted/oauth/authorize', { method: 0, inputs: { team: 'blue' } })
    expect(started.json()).to.deep.equal({
      url: 'https://login.example/authorize?team=blue',
      method: 'code',
      instructions: 'Paste the code',
    })
    expect((await post('/provider/scripted/oauth/authorize', { method: 5 })).statusCode).to.equal(400)
    expect((await post('/provider/scripted/oauth/callback', { method: 0, code: 'good-code' })).json()).to.equal(true)
    const list = await get('/provider')
    expect(list.all.find((p: any) => p.id === 'scripted').source).to.equal('api')
    expect(JSON.stringify(list)).not.to.contain('oauth-access-secret')
    expect(JSON.parse(readFileSync(join(server.dataDir, 'auth.json'), 'utf8')).scripted.access).to.equal(
      'oauth-access-secret',
    )

    expect((await post('/provider/anthropic/oauth/authorize', { method: 0 })).statusCode).to.equal(400)
    expect((await post('/provider/nope/oauth/authorize', { method: 0 })).statusCode).to.equal(404)
    expect((await post('/provider/nope/oauth/callback', { method: 0 })).statusCode).to.equal(404)
  })
})
