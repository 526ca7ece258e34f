import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import { ProviderOAuth, type OAuthCredentials } from '../../../sdk/provider.js'
import { CredentialStore } from '../../../plugins/provider/auth.js'
import { Integrations } from '../../../plugins/provider/integrations.js'
import type { Providers } from '../../../plugins/provider/service.js'
import { cleanup, listen, onCleanup, sleep, tempDir } from '../../support/helper.js'
import { expectMatchesReference } from '../../support/openapi.js'
import { sessionHarness, type SessionHarness } from '../../support/session.js'

/** A real OAuth provider on a loopback port: a token endpoint, and a redirect a "browser" hits. */
async function oauthServer() {
  const redirects: ((code: string) => void)[] = []
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    if (request.method === 'GET' && url.pathname === '/redirect') {
      redirects.shift()?.(url.searchParams.get('code') ?? '')
      response.end('You can close this window')
      return
    }
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      const { code } = JSON.parse(body || '{}') as { code?: string }
      const good = request.method === 'POST' && url.pathname === '/token' && code?.startsWith('good')
      response.writeHead(good ? 200 : 400, { 'content-type': 'application/json' })
      response.end(
        JSON.stringify(
          good
            ? { access_token: `access-${code}`, refresh_token: 'refresh-secret', expires_in: 3600 }
            : { error: 'invalid_grant' },
        ),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onCleanup(() => new Promise((resolve) => server.close(resolve)))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const exchange = async (code: string | undefined): Promise<OAuthCredentials> => {
    const response = await fetch(`${base}/token`, { method: 'POST', body: JSON.stringify({ code }) })
    const json = (await response.json()) as {
      access_token: string
      refresh_token: string
      expires_in: number
      error?: string
    }
    if (!response.ok) throw new Error(`token endpoint refused the code: ${json.error}`)
    return {
      type: 'oauth',
      access: json.access_token,
      refresh: json.refresh_token,
      expires: Date.now() + json.expires_in * 1000,
    }
  }
  /** Resolves with the code the next redirect carries. */
  const nextRedirect = () => new Promise<string>((resolve) => redirects.push(resolve))
  return { base, exchange, nextRedirect }
}

describe('provider: v2 integrations and credentials', () => {
  let h: SessionHarness
  let client: ReturnType<typeof createOpencodeClient>
  let repo: string
  let base: string
  let oauth: Awaited<ReturnType<typeof oauthServer>>
  /** Settles when an auto login's callback has finished, stored or not. */
  let autoSettled: Promise<unknown> = Promise.resolve()
  const authFile = () => join(h.server.dataDir, 'auth.json')
  const stored = () => {
    try {
      return JSON.parse(readFileSync(authFile(), 'utf8'))
    } catch {
      return {}
    }
  }
  const location = () => ({ location: { directory: repo } })

  before(async () => {
    h = await sessionHarness({ server: { env: { ANTHROPIC_API_KEY: 'sk-env-secret' } } })
    repo = realpathSync(h.repo)
    base = await listen(h.server)
    client = createOpencodeClient({ baseUrl: base })
    oauth = await oauthServer()
    // Logins for the scripted provider, offered the way plugins (and OpenCode plugins' `auth` hooks) offer them.
    h.server.kernel.extensions.provide(ProviderOAuth, 'v2-integration-test', {
      providerID: 'scripted',
      label: 'Local SSO',
      async authorize({ inputs }) {
        if (inputs.team === 'banned') throw new Error('team banned is not allowed')
        return {
          url: `${oauth.base}/authorize?team=${inputs.team ?? ''}`,
          method: 'code',
          instructions: 'Paste the code',
          callback: oauth.exchange,
        }
      },
    })
    h.server.kernel.extensions.provide(ProviderOAuth, 'v2-integration-test', {
      providerID: 'scripted',
      label: 'Browser login',
      async authorize() {
        const redirected = oauth.nextRedirect()
        const callback = async () => oauth.exchange(await redirected)
        return {
          url: `${oauth.base}/authorize`,
          method: 'auto',
          instructions: 'Finish in the browser',
          callback: () => {
            const result = callback()
            autoSettled = result.catch(() => {})
            return result
          },
        }
      },
    })
  })
  after(cleanup)

  it('lists every provider as an integration: its methods and what connects it, never a secret', async () => {
    const { data, response } = await client.v2.integration.list(location())
    expect(response.status).to.equal(200)
    expectMatchesReference('GET', '/api/integration', 200, data)
    expect(data!.location.directory).to.equal(repo)
    const byID = new Map(data!.data.map((integration) => [integration.id, integration]))
    expect([...byID.keys()]).to.include.members(['anthropic', 'openai', 'google', 'ollama', 'scripted'])
    expect(byID.get('anthropic')).to.deep.equal({
      id: 'anthropic',
      name: 'Anthropic',
      methods: [
        { type: 'key', label: 'API key' },
        { type: 'env', names: ['ANTHROPIC_API_KEY'] },
      ],
      connections: [{ type: 'env', name: 'ANTHROPIC_API_KEY' }],
    })
    expect(byID.get('google')!.methods).to.deep.include({
      type: 'env',
      names: ['GOOGLE_GENERATIVE_AI_API_KEY', 'GEMINI_API_KEY'],
    })
    expect(byID.get('scripted')).to.deep.equal({
      id: 'scripted',
      name: 'Scripted',
      methods: [
        { id: 'local-sso', type: 'oauth', label: 'Local SSO' },
        { id: 'browser-login', type: 'oauth', label: 'Browser login' },
        { type: 'key', label: 'API key' },
      ],
      connections: [],
    })
    expect(JSON.stringify(data)).to.not.match(/sk-env-secret|test-key/)

    const one = await client.v2.integration.get({ integrationID: 'anthropic', ...location() }, { throwOnError: true })
    expectMatchesReference('GET', '/api/integration/{integrationID}', 200, one.data)
    expect(one.data!.data).to.deep.equal(byID.get('anthropic'))

    const unknown = await client.v2.integration.get({ integrationID: 'nope', ...location() })
    expect(unknown.response.status).to.equal(404)
    expect(unknown.error).to.deep.equal({
      _tag: 'IntegrationNotFoundError',
      message: 'Integration not found: nope',
      integrationID: 'nope',
    })
  })

  it('connects with a key the way v1 stores it: v1 sees it, sessions use it, label and removal work', async () => {
    h.events.length = 0
    const connected = await client.v2.integration.connect.key({
      integrationID: 'scripted',
      key: 'sk-v2-secret',
      label: 'Work',
      ...location(),
    })
    expect(connected.response.status).to.equal(204)
    expect(stored().scripted).to.deep.equal({ type: 'api', key: 'sk-v2-secret', label: 'Work' })
    expect(h.events.map((event) => [event.type, event.properties])).to.deep.equal([
      ['integration.connection.updated', { integrationID: 'scripted' }],
      ['integration.updated', {}],
    ])

    const { data } = await client.v2.integration.get(
      { integrationID: 'scripted', ...location() },
      { throwOnError: true },
    )
    expectMatchesReference('GET', '/api/integration/{integrationID}', 200, data)
    const [connection] = data!.data.connections
    expect(connection).to.deep.include({ type: 'credential', label: 'Work' })
    const credentialID = (connection as { id: string }).id
    expect(credentialID).to.match(/^cred_/)
    expect(JSON.stringify(data)).to.not.contain('sk-v2-secret')

    const v1 = (await h.call('GET', '/provider')).body
    expect(v1.all.find((provider: { id: string }) => provider.id === 'scripted').source).to.equal('api')
    h.llm.script({ text: 'hello' })
    const session = await h.createSession()
    expect((await h.prompt(session.id, 'hi')).status).to.equal(200)
    expect(h.llm.requests.at(-1)!.headers.authorization).to.equal('Bearer sk-v2-secret')

    // A credential v1 stored shows up in v2, with a default label.
    expect((await h.call('PUT', '/auth/openai', { type: 'api', key: 'sk-v1-secret' })).status).to.equal(200)
    const openai = (await client.v2.integration.get({ integrationID: 'openai', ...location() }, { throwOnError: true }))
      .data!.data
    expect(openai.connections).to.deep.equal([
      { type: 'credential', id: `cred_${Buffer.from('openai').toString('base64url')}`, label: 'API key' },
    ])

    h.events.length = 0
    const renamed = await client.v2.credential.update({ credentialID, label: 'Personal', ...location() })
    expect(renamed.response.status).to.equal(204)
    expect(stored().scripted).to.deep.equal({ type: 'api', key: 'sk-v2-secret', label: 'Personal' })
    expect(h.events.map((event) => event.type)).to.deep.equal(['integration.connection.updated', 'integration.updated'])

    const missing = await client.v2.credential.update({ credentialID: 'cred_bm9wZQ', label: 'x', ...location() })
    expect(missing.response.status).to.equal(404)
    expect(missing.error).to.deep.equal({
      _tag: 'CredentialNotFoundError',
      message: 'Credential not found: cred_bm9wZQ',
      credentialID: 'cred_bm9wZQ',
    })
    const blank = await client.v2.credential.update({ credentialID, label: '', ...location() })
    expect(blank.response.status).to.equal(400)
    expectMatchesReference('PATCH', '/api/credential/{credentialID}', 400, blank.error)

    h.events.length = 0
    expect((await client.v2.credential.remove({ credentialID, ...location() })).response.status).to.equal(204)
    expect(stored()).to.not.have.property('scripted')
    expect(h.events.map((event) => event.type)).to.deep.equal(['integration.connection.updated', 'integration.updated'])
    const after = (
      await client.v2.integration.get({ integrationID: 'scripted', ...location() }, { throwOnError: true })
    ).data!.data
    expect(after.connections).to.deep.equal([])
    expect(
      (await h.call('GET', '/provider')).body.all.find((provider: { id: string }) => provider.id === 'scripted').source,
    ).to.equal('custom')

    // Removing again answers 204 (as OpenCode) and only says the list may have changed.
    h.events.length = 0
    expect((await client.v2.credential.remove({ credentialID, ...location() })).response.status).to.equal(204)
    expect(h.events.map((event) => event.type)).to.deep.equal(['integration.updated'])
    expect(
      (
        await client.v2.credential.remove({
          credentialID: `cred_${Buffer.from('openai').toString('base64url')}`,
          ...location(),
        })
      ).response.status,
    ).to.equal(204)
    expect(stored()).to.deep.equal({})
  })

  it('logs in with a code method a plugin offers, exchanging the code at a real token endpoint', async () => {
    const started = await client.v2.integration.connect.oauth({
      integrationID: 'scripted',
      methodID: 'local-sso',
      inputs: { team: 'blue' },
      label: 'SSO',
      ...location(),
    })
    expect(started.response.status).to.equal(200)
    expectMatchesReference('POST', '/api/integration/{integrationID}/connect/oauth', 200, started.data)
    const attempt = started.data!.data
    expect(attempt).to.deep.include({
      url: `${oauth.base}/authorize?team=blue`,
      instructions: 'Paste the code',
      mode: 'code',
    })
    expect(attempt.attemptID).to.match(/^con_/)
    expect(Number(attempt.time.expires) - Number(attempt.time.created)).to.equal(10 * 60 * 1000)

    const pending = await client.v2.integration.attempt.status(
      { attemptID: attempt.attemptID, ...location() },
      { throwOnError: true },
    )
    expectMatchesReference('GET', '/api/integration/attempt/{attemptID}', 200, pending.data)
    expect(pending.data!.data).to.deep.equal({ status: 'pending', time: attempt.time })

    const noCode = await client.v2.integration.attempt.complete({ attemptID: attempt.attemptID, ...location() })
    expect(noCode.response.status).to.equal(400)
    expectMatchesReference('POST', '/api/integration/attempt/{attemptID}/complete', 400, noCode.error)
    expect(noCode.error).to.deep.include({ _tag: 'InvalidRequestError', field: 'code' })

    h.events.length = 0
    const done = await client.v2.integration.attempt.complete({
      attemptID: attempt.attemptID,
      code: 'good-1',
      ...location(),
    })
    expect(done.response.status).to.equal(204)
    expect(stored().scripted).to.deep.include({
      type: 'oauth',
      access: 'access-good-1',
      refresh: 'refresh-secret',
      label: 'SSO',
    })
    expect(h.events.map((event) => [event.type, event.properties])).to.deep.equal([
      ['integration.connection.updated', { integrationID: 'scripted' }],
      ['integration.updated', {}],
    ])
    const complete = await client.v2.integration.attempt.status(
      { attemptID: attempt.attemptID, ...location() },
      { throwOnError: true },
    )
    expectMatchesReference('GET', '/api/integration/attempt/{attemptID}', 200, complete.data)
    expect(complete.data!.data.status).to.equal('complete')
    // Completing again changes nothing.
    expect(
      (await client.v2.integration.attempt.complete({ attemptID: attempt.attemptID, code: 'good-2', ...location() }))
        .response.status,
    ).to.equal(204)
    expect(stored().scripted.access).to.equal('access-good-1')

    const connections = (
      await client.v2.integration.get({ integrationID: 'scripted', ...location() }, { throwOnError: true })
    ).data!.data.connections
    expect(connections).to.deep.equal([
      { type: 'credential', id: `cred_${Buffer.from('scripted').toString('base64url')}`, label: 'SSO' },
    ])
    h.llm.script({ text: 'hello' })
    const session = await h.createSession()
    await h.prompt(session.id, 'hi')
    expect(h.llm.requests.at(-1)!.headers.authorization).to.equal('Bearer access-good-1')

    // A code the provider refuses: 400, the attempt failed, the stored credential untouched.
    const second = (
      await client.v2.integration.connect.oauth(
        { integrationID: 'scripted', methodID: 'local-sso', inputs: {}, ...location() },
        { throwOnError: true },
      )
    ).data!.data
    const refused = await client.v2.integration.attempt.complete({
      attemptID: second.attemptID,
      code: 'bad',
      ...location(),
    })
    expect(refused.response.status).to.equal(400)
    expectMatchesReference('POST', '/api/integration/attempt/{attemptID}/complete', 400, refused.error)
    expect(refused.error).to.deep.equal({
      _tag: 'InvalidRequestError',
      message: 'Authentication failed: token endpoint refused the code: invalid_grant',
      kind: 'integration_authorization',
    })
    const failed = (
      await client.v2.integration.attempt.status({ attemptID: second.attemptID, ...location() }, { throwOnError: true })
    ).data!
    expectMatchesReference('GET', '/api/integration/attempt/{attemptID}', 200, failed)
    expect(failed.data).to.deep.include({ status: 'failed', message: 'token endpoint refused the code: invalid_grant' })
    expect(
      (await client.v2.integration.attempt.complete({ attemptID: second.attemptID, code: 'good-3', ...location() }))
        .response.status,
    ).to.equal(400)
    expect(stored().scripted.access).to.equal('access-good-1')

    // A login the plugin refuses to start.
    const banned = await client.v2.integration.connect.oauth({
      integrationID: 'scripted',
      methodID: 'local-sso',
      inputs: { team: 'banned' },
      ...location(),
    })
    expect(banned.response.status).to.equal(400)
    expectMatchesReference('POST', '/api/integration/{integrationID}/connect/oauth', 400, banned.error)
    expect(banned.error).to.deep.equal({
      _tag: 'InvalidRequestError',
      message: 'Authentication failed: team banned is not allowed',
      kind: 'integration_authorization',
    })
  })

  it('finishes an auto login on its own, and a cancelled one stores nothing', async () => {
    const attempt = (
      await client.v2.integration.connect.oauth(
        { integrationID: 'scripted', methodID: 'browser-login', inputs: {}, ...location() },
        { throwOnError: true },
      )
    ).data!.data
    expect(attempt.mode).to.equal('auto')
    const status = async () =>
      (
        await client.v2.integration.attempt.status(
          { attemptID: attempt.attemptID, ...location() },
          { throwOnError: true },
        )
      ).data!.data.status
    expect(await status()).to.equal('pending')
    // `complete` on a pending auto login waits for it.
    const completing = client.v2.integration.attempt.complete({ attemptID: attempt.attemptID, ...location() })
    await sleep(100)
    expect(await status()).to.equal('pending')
    expect((await fetch(`${oauth.base}/redirect?code=good-auto`)).status).to.equal(200)
    expect((await completing).response.status).to.equal(204)
    expect(await status()).to.equal('complete')
    expect(stored().scripted).to.deep.include({ type: 'oauth', access: 'access-good-auto', label: 'Browser login' })

    const cancelled = (
      await client.v2.integration.connect.oauth(
        { integrationID: 'scripted', methodID: 'browser-login', inputs: {}, ...location() },
        { throwOnError: true },
      )
    ).data!.data
    const cancel = await client.v2.integration.attempt.cancel({ attemptID: cancelled.attemptID, ...location() })
    expect(cancel.response.status).to.equal(204)
    const gone = await client.v2.integration.attempt.status({ attemptID: cancelled.attemptID, ...location() })
    expect(gone.response.status).to.equal(404)
    expect(gone.error).to.deep.equal({
      _tag: 'IntegrationAttemptNotFoundError',
      message: `OAuth attempt not found: ${cancelled.attemptID}`,
      attemptID: cancelled.attemptID,
    })
    h.events.length = 0
    expect((await fetch(`${oauth.base}/redirect?code=good-late`)).status).to.equal(200)
    await autoSettled
    expect(stored().scripted.access).to.equal('access-good-auto')
    expect(h.events.map((event) => event.type)).to.not.include('integration.updated')
    // Cancelling again, or an attempt never seen, is still 204 (as OpenCode).
    expect(
      (await client.v2.integration.attempt.cancel({ attemptID: cancelled.attemptID, ...location() })).response.status,
    ).to.equal(204)
  })

  it('answers unknown ids with tagged 404s and bad input with 400s, changing nothing', async () => {
    const before = JSON.stringify(stored())
    h.events.length = 0
    const post = (url: string, body: string) =>
      fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })

    const unknownKey = await client.v2.integration.connect.key({ integrationID: 'nope', key: 'sk-x', ...location() })
    expect(unknownKey.response.status).to.equal(404)
    expect(unknownKey.error).to.deep.include({ _tag: 'IntegrationNotFoundError', integrationID: 'nope' })
    const unknownOAuth = await client.v2.integration.connect.oauth({
      integrationID: 'nope',
      methodID: 'local-sso',
      inputs: {},
      ...location(),
    })
    expect(unknownOAuth.response.status).to.equal(404)
    const unknownMethod = await client.v2.integration.connect.oauth({
      integrationID: 'scripted',
      methodID: 'nope',
      inputs: {},
      ...location(),
    })
    expect(unknownMethod.response.status).to.equal(400)
    expectMatchesReference('POST', '/api/integration/{integrationID}/connect/oauth', 400, unknownMethod.error)
    expect(unknownMethod.error).to.deep.equal({
      _tag: 'InvalidRequestError',
      message: 'Integration scripted has no OAuth method "nope": "local-sso", "browser-login"',
      kind: 'Payload',
      field: 'methodID',
    })
    const noOAuth = await client.v2.integration.connect.oauth({
      integrationID: 'anthropic',
      methodID: 'x',
      inputs: {},
      ...location(),
    })
    expect(noOAuth.response.status).to.equal(400)

    for (const attemptID of ['con_unknown']) {
      expect((await client.v2.integration.attempt.status({ attemptID, ...location() })).response.status).to.equal(404)
      const completed = await client.v2.integration.attempt.complete({ attemptID, code: 'good', ...location() })
      expect(completed.response.status).to.equal(404)
      expect(completed.error).to.deep.include({ _tag: 'IntegrationAttemptNotFoundError' })
    }
    const badAttempt = await client.v2.integration.attempt.status({ attemptID: 'nope', ...location() })
    expect(badAttempt.response.status).to.equal(400)
    expectMatchesReference('GET', '/api/integration/attempt/{attemptID}', 400, badAttempt.error)
    expect(badAttempt.error).to.deep.include({ _tag: 'InvalidRequestError', kind: 'Params', field: 'attemptID' })
    const badCredential = await client.v2.credential.remove({ credentialID: 'nope', ...location() })
    expect(badCredential.response.status).to.equal(400)
    expectMatchesReference('DELETE', '/api/credential/{credentialID}', 400, badCredential.error)

    const malformed: [string, string, string][] = [
      ['/api/integration/scripted/connect/key', '{}', 'key'],
      ['/api/integration/scripted/connect/key', '{"key": ""}', 'key'],
      ['/api/integration/scripted/connect/key', '{"key": 5}', 'key'],
      ['/api/integration/scripted/connect/oauth', '{"methodID": "local-sso"}', 'inputs'],
      ['/api/integration/scripted/connect/oauth', '{"methodID": "local-sso", "inputs": {"team": 1}}', 'inputs'],
    ]
    for (const [url, body, field] of malformed) {
      const response = await post(url, body)
      expect(response.status, `${url} ${body}`).to.equal(400)
      const error = await response.json()
      expect(error).to.deep.include({ _tag: 'InvalidRequestError', kind: 'Payload', field })
      expectMatchesReference(
        'POST',
        url.includes('/key')
          ? '/api/integration/{integrationID}/connect/key'
          : '/api/integration/{integrationID}/connect/oauth',
        400,
        error,
      )
    }
    const notJson = await post('/api/integration/scripted/connect/key', '{"key": ')
    expect(notJson.status).to.equal(400)
    expect(await notJson.json()).to.deep.include({ _tag: 'InvalidRequestError' })
    const badLocation = await client.v2.integration.list({ location: { directory: join(repo, 'missing') } })
    expect(badLocation.response.status).to.equal(400)

    expect(JSON.stringify(stored())).to.equal(before)
    expect(h.events.filter((event) => event.type.startsWith('integration.'))).to.deep.equal([])
  })

  it('keeps at most the configured number of attempts and lets a pending one expire', async () => {
    const credentials = new CredentialStore(tempDir('ok-auth-'))
    const integrations = new Integrations(h.server.kernel, h.server.app.providers as Providers, credentials, {
      ttlMs: 200,
      max: 3,
    })
    const instance = await h.server.kernel.instances.get(repo)
    const start = () => integrations.startOAuth(instance, 'scripted', 'local-sso', {}, undefined)
    const first = await start()
    const rest = [await start(), await start(), await start()]
    expect(() => integrations.status(first.attemptID)).to.throw(/OAuth attempt not found/)
    for (const attempt of rest) expect(integrations.status(attempt.attemptID).status).to.equal('pending')

    await sleep(250)
    expect(integrations.status(rest[0]!.attemptID)).to.deep.equal({ status: 'expired', time: rest[0]!.time })
    let error: unknown
    await integrations.complete(rest[0]!.attemptID, 'good-late').catch((caught) => (error = caught))
    expect(error).to.have.property('message', `OAuth attempt ${rest[0]!.attemptID} has expired: start a new one`)
    expect(credentials.get('scripted')).to.equal(undefined)

    // Attempts long expired are dropped when a new one starts.
    await sleep(200)
    await start()
    for (const attempt of rest) expect(() => integrations.status(attempt.attemptID)).to.throw(/OAuth attempt not found/)
  })
})
