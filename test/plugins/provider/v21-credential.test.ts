import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { EventPayload } from '../../../kernel/events/bus.js'
import { cleanup, onCleanup } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'
import { sessionHarness, type SessionHarness } from '../../support/session.js'

describe('provider: OpenCode 2.1 credentials', () => {
  let h: SessionHarness
  /** Every event, global ones included (credential events have no location). */
  const events: EventPayload[] = []
  const credentialEvents = () =>
    events.filter((event) => event.type.startsWith('credential.')).map((event) => [event.type, event.properties])
  const stored = () => {
    try {
      return JSON.parse(readFileSync(join(h.server.dataDir, 'auth.json'), 'utf8'))
    } catch {
      return {}
    }
  }
  const list = async () => {
    const response = await h.call('GET', '/api/credential')
    expect(response.status).to.equal(200)
    expectMatches21('GET', '/api/credential', 200, response.body)
    return response.body.data as { id: string; integrationID: string; label: string; active: boolean; value: any }[]
  }
  const create = (body: unknown) => h.call('POST', '/api/credential', body)
  /** The key the scripted provider was last called with. */
  const keyUsed = async () => {
    h.llm.script({ text: 'ok' })
    const session = await h.createSession()
    expect((await h.prompt(session.id, 'hi')).status).to.equal(200)
    return h.llm.requests.at(-1)!.headers.authorization
  }

  before(async function () {
    // A server, a repo and fixtures: slow on a loaded machine.
    this.timeout(60_000)
    h = await sessionHarness()
    onCleanup(h.server.kernel.bus.subscribe((event) => events.push(event.payload)))
  })
  after(cleanup)

  it('creates credentials, the newest active unless asked otherwise, and lists them with secrets masked', async () => {
    expect(await list()).to.deep.equal([])
    events.length = 0
    const first = await create({ integrationID: 'scripted', value: { type: 'key', key: 'sk-first-secret-0001' } })
    expect(first.status).to.equal(200)
    expectMatches21('POST', '/api/credential', 200, first.body)
    expect(first.body.data).to.deep.include({ integrationID: 'scripted', label: 'default', active: true })
    expect(first.body.data.id).to.match(/^cred_/)
    expect(first.body.data.value).to.deep.equal({ type: 'key', key: '****0001' })
    expect(credentialEvents()).to.deep.equal([
      ['credential.updated', {}],
      ['credential.switched', { integrationID: 'scripted', credentialID: first.body.data.id }],
    ])
    expect(await keyUsed()).to.equal('Bearer sk-first-secret-0001')

    events.length = 0
    const spare = await create({
      id: 'cred_spare',
      integrationID: 'scripted',
      label: 'Spare',
      value: { type: 'key', key: 'sk-spare-secret-0002' },
      activate: false,
    })
    expect(spare.status).to.equal(200)
    expect(spare.body.data).to.deep.equal({
      id: 'cred_spare',
      integrationID: 'scripted',
      label: 'Spare',
      active: false,
      value: { type: 'key', key: '****0002' },
    })
    expect(credentialEvents()).to.deep.equal([['credential.updated', {}]])
    expect(await keyUsed()).to.equal('Bearer sk-first-secret-0001')

    const oauth = await create({
      integrationID: 'other',
      value: { type: 'oauth', methodID: 'sso', refresh: 'refresh-token-secret-1', access: 'short', expires: 5 },
    })
    expect(oauth.status).to.equal(200)
    const listed = await list()
    expect(listed.map((entry) => [entry.id, entry.active])).to.deep.equal([
      [first.body.data.id, true],
      ['cred_spare', false],
      [oauth.body.data.id, true],
    ])
    expect(listed[2]!.value).to.deep.equal({
      type: 'oauth',
      methodID: 'sso',
      refresh: '****et-1',
      access: '****',
      expires: 5,
    })
    const text = JSON.stringify(listed)
    for (const secret of ['sk-first-secret', 'sk-spare-secret', 'refresh-token-secret', 'short'])
      expect(text).to.not.contain(secret)
    // v1's auth.json holds the active credential where v1 reads it, the others beside it.
    expect(stored().scripted).to.deep.include({ type: 'api', key: 'sk-first-secret-0001', label: 'default' })
    expect(stored().scripted.inactive).to.have.length(1)
  })

  it('switches, renames and removes credentials; providers use the active one', async () => {
    events.length = 0
    expect((await h.call('POST', '/api/credential/cred_spare/activate')).status).to.equal(204)
    expect(credentialEvents()).to.deep.equal([
      ['credential.switched', { integrationID: 'scripted', credentialID: 'cred_spare' }],
    ])
    expect(await keyUsed()).to.equal('Bearer sk-spare-secret-0002')
    expect(stored().scripted.key).to.equal('sk-spare-secret-0002')

    events.length = 0
    expect((await h.call('PATCH', '/api/credential/cred_spare', { label: 'Backup' })).status).to.equal(204)
    expect(credentialEvents()).to.deep.equal([['credential.updated', {}]])
    expect((await list()).find((entry) => entry.id === 'cred_spare')!.label).to.equal('Backup')

    // Removing the active credential makes the newest other one active.
    const [other] = (await list()).filter((entry) => entry.integrationID === 'scripted' && !entry.active)
    events.length = 0
    expect((await h.call('DELETE', '/api/credential/cred_spare')).status).to.equal(204)
    expect(credentialEvents()).to.deep.equal([
      ['credential.updated', {}],
      ['credential.switched', { integrationID: 'scripted', credentialID: other!.id }],
    ])
    expect(await keyUsed()).to.equal('Bearer sk-first-secret-0001')
    expect(stored().scripted).to.not.have.property('inactive')

    // The last one gone, the provider falls back to its config key.
    expect((await h.call('DELETE', `/api/credential/${other!.id}`)).status).to.equal(204)
    expect(stored()).to.not.have.property('scripted')
    expect(await keyUsed()).to.equal('Bearer test-key')
  })

  it('shows v1 credentials and keeps 2.1 ones when v1 replaces or forgets its own', async () => {
    expect((await h.call('PUT', '/auth/scripted', { type: 'api', key: 'sk-v1-secret-00003' })).status).to.equal(200)
    const [v1] = (await list()).filter((entry) => entry.integrationID === 'scripted')
    expect(v1).to.deep.include({ active: true, label: 'API key', value: { type: 'key', key: '****0003' } })
    const spare = await create({
      integrationID: 'scripted',
      value: { type: 'key', key: 'sk-kept-secret-0004' },
      activate: false,
    })
    // v1 replaces the active credential only.
    expect((await h.call('PUT', '/auth/scripted', { type: 'api', key: 'sk-v1-again-00005' })).status).to.equal(200)
    const after = (await list()).filter((entry) => entry.integrationID === 'scripted')
    expect(after.map((entry) => [entry.value.key, entry.active])).to.deep.equal([
      ['****0005', true],
      ['****0004', false],
    ])
    expect(after.some((entry) => entry.id === v1!.id)).to.equal(false)
    expect(await keyUsed()).to.equal('Bearer sk-v1-again-00005')
    expect(after[1]!.id).to.equal(spare.body.data.id)
    expect((await h.call('DELETE', '/auth/scripted')).status).to.equal(200)
    expect((await list()).filter((entry) => entry.integrationID === 'scripted')).to.deep.equal([])
  })

  it('answers unknown ids with 404, a taken id with 409 and bad input with 400, changing nothing', async () => {
    await create({ id: 'cred_taken', integrationID: 'anthropic', value: { type: 'key', key: 'sk-x' } })
    const before = JSON.stringify(stored())
    events.length = 0
    const taken = await create({ id: 'cred_taken', integrationID: 'openai', value: { type: 'key', key: 'sk-y' } })
    expect(taken.status).to.equal(409)
    expectMatches21('POST', '/api/credential', 409, taken.body)
    expect(taken.body).to.deep.equal({
      _tag: 'ConflictError',
      message: 'Credential already exists: cred_taken',
      resource: 'cred_taken',
    })
    for (const [method, url, body] of [
      ['PATCH', '/api/credential/cred_nope', { label: 'x' }],
      ['DELETE', '/api/credential/cred_nope', undefined],
      ['POST', '/api/credential/cred_nope/activate', undefined],
    ] as const) {
      const response = await h.call(method, url, body)
      expect(response.status, `${method} ${url}`).to.equal(404)
      expect(response.body).to.deep.equal({
        _tag: 'CredentialNotFoundError',
        message: 'Credential not found: cred_nope',
        credentialID: 'cred_nope',
      })
    }
    const bad: [string, string, unknown][] = [
      ['POST', '/api/credential', {}],
      ['POST', '/api/credential', { integrationID: 'anthropic' }],
      ['POST', '/api/credential', { integrationID: 'anthropic', value: { type: 'key', key: '' } }],
      ['POST', '/api/credential', { integrationID: 'anthropic', value: { type: 'magic', key: 'k' } }],
      ['POST', '/api/credential', { integrationID: 'anthropic', value: { type: 'oauth', methodID: 'm' } }],
      ['POST', '/api/credential', { integrationID: '../x', value: { type: 'key', key: 'k' } }],
      ['POST', '/api/credential', { id: 'mine', integrationID: 'anthropic', value: { type: 'key', key: 'k' } }],
      ['POST', '/api/credential', { integrationID: 'anthropic', value: { type: 'key', key: 'k' }, activate: 'no' }],
      ['PATCH', '/api/credential/cred_taken', {}],
      ['PATCH', '/api/credential/cred_taken', { label: '' }],
      ['PATCH', '/api/credential/nope', { label: 'x' }],
      ['DELETE', '/api/credential/nope', undefined],
      ['POST', '/api/credential/nope/activate', undefined],
    ]
    for (const [method, url, body] of bad) {
      const response = await h.call(method, url, body)
      expect(response.status, `${method} ${url} ${JSON.stringify(body)}`).to.equal(400)
      expect(response.body._tag).to.equal('InvalidRequestError')
      const path = url.replace(/cred_taken|nope/, '{credentialID}')
      expectMatches21(method, path, 400, response.body)
    }
    expect(JSON.stringify(stored())).to.equal(before)
    expect(credentialEvents()).to.deep.equal([])
  })
})
