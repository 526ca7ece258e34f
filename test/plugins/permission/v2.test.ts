import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { cleanup, listen } from '../../support/helper.js'
import { expectMatchesReference } from '../../support/openapi.js'
import { sessionHarness, until, type SessionHarness } from '../../support/session.js'

const FILES = { 'notes.txt': 'one\ntwo\n' }

async function asked(h: SessionHarness, count = 1): Promise<any> {
  await until(
    () => h.events.filter((event) => event.type === 'permission.asked').length >= count,
    5000,
    'permission.asked',
  )
  return h.events.filter((event) => event.type === 'permission.asked')[count - 1]!.properties
}

describe('permission: v2 routes', () => {
  afterEach(cleanup)

  it("shows a tool call's pending request, answers it `always`, and lists then forgets the saved approval", async () => {
    const h = await sessionHarness({ files: FILES, config: { permission: { read: { '*': 'ask' } } } })
    const client = createOpencodeClient({ baseUrl: await listen(h.server) })
    h.llm.script({ toolCalls: [{ name: 'read', args: { filePath: 'notes.txt' } }] }, { text: 'Read it.' })
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'read notes')
    const request = await asked(h)

    const byLocation = (
      await client.v2.permission.request.list({ location: { directory: h.repo } }, { throwOnError: true })
    ).data!
    expectMatchesReference('GET', '/api/permission/request', 200, byLocation)
    expect(byLocation.data).to.deep.equal([
      {
        id: request.id,
        sessionID: session.id,
        action: 'read',
        resources: ['notes.txt'],
        save: request.always,
        metadata: request.metadata,
        source: { type: 'tool', ...request.tool },
      },
    ])
    const bySession = (await client.v2.session.permission.list({ sessionID: session.id }, { throwOnError: true })).data!
    expectMatchesReference('GET', '/api/session/{sessionID}/permission', 200, bySession)
    const one = (
      await client.v2.session.permission.get({ sessionID: session.id, requestID: request.id }, { throwOnError: true })
    ).data!
    expectMatchesReference('GET', '/api/session/{sessionID}/permission/{requestID}', 200, one)

    const answered = await client.v2.session.permission.reply({
      sessionID: session.id,
      requestID: request.id,
      reply: 'always',
    })
    expect(answered.response.status).to.equal(204)
    expect((await reply).body.parts.find((part: any) => part.type === 'text').text).to.equal('Read it.')
    const gone = await h.call('GET', `/api/session/${session.id}/permission/${request.id}`)
    expect(gone.status).to.equal(404)
    expect(gone.body).to.deep.equal({
      _tag: 'PermissionNotFoundError',
      message: `Permission request not found: ${request.id}`,
      requestID: request.id,
    })
    expectMatchesReference('GET', '/api/session/{sessionID}/permission/{requestID}', 404, gone.body)

    const saved = (await client.v2.permission.saved.list(undefined, { throwOnError: true })).data!
    expectMatchesReference('GET', '/api/permission/saved', 200, saved)
    const entry = saved.data.find((item) => item.action === 'read')!
    expect(entry.id).to.match(/^psv_/)
    expect(request.always).to.include(entry.resource)
    const removed = await client.v2.permission.saved.remove({ id: entry.id })
    expect(removed.response.status).to.equal(204)
    expect((await client.v2.permission.saved.list(undefined, { throwOnError: true })).data!.data).to.deep.equal([])
    // Asks again once the approval is gone.
    h.llm.script({ toolCalls: [{ name: 'read', args: { filePath: 'notes.txt' } }] }, { text: 'Again.' })
    const second = h.prompt(session.id, 'read again')
    const again = await asked(h, 2)
    await client.v2.session.permission.reply({ sessionID: session.id, requestID: again.id, reply: 'once' })
    expect((await second).status).to.equal(200)
  })

  it("evaluates a client's own request: deny and allow at once, ask leaves a pending request", async () => {
    const h = await sessionHarness({
      config: { permission: { bash: { '*': 'ask', 'ls *': 'allow', 'rm *': 'deny' } } },
    })
    const client = createOpencodeClient({ baseUrl: await listen(h.server) })
    const session = await h.createSession()
    const create = (action: string, resources: string[]) =>
      client.v2.session.permission.create({ sessionID: session.id, action, resources }, { throwOnError: true })

    const denied = (await create('bash', ['rm -rf build'])).data!
    expectMatchesReference('POST', '/api/session/{sessionID}/permission', 200, denied)
    expect(denied.data.effect).to.equal('deny')
    expect((await create('bash', ['ls -la'])).data!.data.effect).to.equal('allow')
    const ask = (await create('bash', ['ls -la', 'make'])).data!.data
    expect(ask.effect).to.equal('ask')
    const pending = (await client.v2.session.permission.list({ sessionID: session.id }, { throwOnError: true })).data!
      .data
    expect(pending.map((request) => request.id)).to.deep.equal([ask.id])
    expect(h.events.some((event) => event.type === 'permission.asked')).to.equal(true)

    const rejected = await client.v2.session.permission.reply({
      sessionID: session.id,
      requestID: ask.id,
      reply: 'reject',
    })
    expect(rejected.response.status).to.equal(204)
    expect(
      (await client.v2.session.permission.list({ sessionID: session.id }, { throwOnError: true })).data!.data,
    ).to.deep.equal([])

    const chosen = 'per_0123456789abcdef'
    await client.v2.session.permission.create(
      { sessionID: session.id, id: chosen, action: 'bash', resources: ['make'] },
      { throwOnError: true },
    )
    const duplicate = await h.call('POST', `/api/session/${session.id}/permission`, {
      id: chosen,
      action: 'bash',
      resources: ['make'],
    })
    expect(duplicate.status).to.equal(409)
    expect(duplicate.body._tag).to.equal('ConflictError')

    const unknownAgent = await h.call('POST', `/api/session/${session.id}/permission`, {
      action: 'bash',
      resources: ['x'],
      agent: 'nope',
    })
    expect(unknownAgent.status).to.equal(400)
    expect(unknownAgent.body).to.deep.include({ _tag: 'InvalidRequestError', field: 'agent' })
    const unknownSession = await h.call('POST', '/api/session/ses_nope/permission', {
      action: 'bash',
      resources: ['x'],
    })
    expect(unknownSession.status).to.equal(404)
    expect(unknownSession.body._tag).to.equal('SessionNotFoundError')
    const badReply = await h.call('POST', `/api/session/${session.id}/permission/${chosen}/reply`, { reply: 'maybe' })
    expect(badReply.status).to.equal(400)
  })
})
