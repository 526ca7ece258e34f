// The session reads of `/api/session…` (OpenCode 2.1's shapes, canonical on these paths; 1.18's
// client still calls them) over sessions and messages written through v1.
import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { realpathSync } from 'node:fs'
import { cleanup, listen } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'
import { sessionHarness, type SessionHarness } from '../../support/session.js'

describe('session: v2 reads', () => {
  let h: SessionHarness
  let client: ReturnType<typeof createOpencodeClient>
  let sessionID: string
  before(async () => {
    h = await sessionHarness({ files: { 'a.txt': 'one\n' } })
    client = createOpencodeClient({ baseUrl: await listen(h.server) })
    sessionID = (await h.createSession({ title: 'v1 made this' })).id
    h.llm.script({ toolCalls: [{ name: 'read', args: { filePath: 'a.txt' } }] }, { text: 'It says one.' })
    expect((await h.prompt(sessionID, 'What is in a.txt?')).status).to.equal(200)
    h.llm.script({ text: 'Second answer.' })
    expect((await h.prompt(sessionID, 'And again?')).status).to.equal(200)
  })
  after(cleanup)

  it("shows a v1 session as 2.1's Session.Info, in the cross-project list and by id", async () => {
    const got = (await client.v2.session.get({ sessionID }, { throwOnError: true })).data!
    expectMatches21('GET', '/api/session/{sessionID}', 200, got)
    expect(got.data).to.deep.include({ id: sessionID, title: 'v1 made this' })
    expect(got.data.location.directory).to.equal(realpathSync(h.repo))
    expect(got.data.cost).to.be.greaterThan(0)

    const listed = (await client.v2.session.list(undefined, { throwOnError: true })).data!
    expectMatches21('GET', '/api/session', 200, listed)
    expect(listed.data.map((session) => session.id)).to.include(sessionID)
  })

  it('pages sessions newest first with cursors that keep their filters', async () => {
    const ids = [sessionID]
    for (let i = 0; i < 4; i++) ids.unshift((await h.createSession({ title: `page ${i}` })).id)
    const first = (await client.v2.session.list({ limit: 2 }, { throwOnError: true })).data!
    expect(first.data.map((session) => session.id)).to.deep.equal(ids.slice(0, 2))
    const second = (await client.v2.session.list({ cursor: first.cursor.next, limit: 2 }, { throwOnError: true })).data!
    expect(second.data.map((session) => session.id)).to.deep.equal(ids.slice(2, 4))
    const back = (await client.v2.session.list({ cursor: second.cursor.previous }, { throwOnError: true })).data!
    expect(back.data.map((session) => session.id)).to.deep.equal(ids.slice(0, 2))
    const ascending = (await client.v2.session.list({ order: 'asc', limit: 1 }, { throwOnError: true })).data!
    expect(ascending.data[0]!.id).to.equal(sessionID)

    const searched = (await client.v2.session.list({ search: 'PAGE 3', limit: 1 }, { throwOnError: true })).data!
    expect(searched.data.map((session) => session.title)).to.deep.equal(['page 3'])
    const more = (await client.v2.session.list({ cursor: searched.cursor.next }, { throwOnError: true })).data!
    expect(more.data).to.deep.equal([])
    expect(more.cursor).to.deep.equal({ previous: null, next: null })
    expectMatches21('GET', '/api/session', 200, more)

    const garbage = await h.call('GET', '/api/session?cursor=not-a-cursor')
    expect(garbage.status).to.equal(400)
    expect(garbage.body).to.deep.equal({ _tag: 'InvalidCursorError', message: 'Invalid cursor' })
    expectMatches21('GET', '/api/session', 400, garbage.body)
  })

  it('shows the messages as OpenCode 2.1 messages, newest first, with tool calls and tokens', async () => {
    const page = (await client.v2.session.messages({ sessionID }, { throwOnError: true })).data!
    expectMatches21('GET', '/api/session/{sessionID}/message', 200, page)
    // One assistant message per step, as v1: the tool call, then the answer.
    // Each run ends with an `idle` entry (2.1's), between v1's messages.
    expect((page.data as any[]).map((message) => message.type)).to.deep.equal([
      'idle',
      'assistant',
      'user',
      'idle',
      'assistant',
      'assistant',
      'user',
    ])
    const [, second, , , first, call, question] = page.data as any[]
    expect(question.text).to.equal('What is in a.txt?')
    const tool = call.content.find((item: any) => item.type === 'tool')
    expect(tool).to.deep.include({ name: 'read' })
    expect(tool.state.status).to.equal('completed')
    expect(tool.state.content[0].text).to.contain('one')
    expect(first.content.at(-1)).to.deep.include({ type: 'text', text: 'It says one.' })
    expect(first.model).to.deep.equal({ id: 'test-model', providerID: 'scripted' })
    expect(second.finish).to.equal('stop')
    expect(second.tokens.output).to.be.greaterThan(0)

    // The same ids and order as v1.
    const v1 = (await h.call('GET', `/session/${sessionID}/message`)).body
    const stored = (page.data as any[]).filter((message) => message.type !== 'idle').map((message) => message.id)
    expect(v1.map((message: any) => message.info.id).reverse()).to.deep.equal(stored)
  })

  it('pages messages both ways and refuses a cursor with an order', async () => {
    const first = (await client.v2.session.messages({ sessionID, limit: 1, order: 'asc' }, { throwOnError: true }))
      .data!
    expect((first.data[0] as any).text).to.equal('What is in a.txt?')
    const next = (
      await client.v2.session.messages({ sessionID, cursor: first.cursor.next, limit: 2 }, { throwOnError: true })
    ).data!
    expect(next.data.map((message) => message.type)).to.deep.equal(['assistant', 'assistant'])
    const previous = (
      await client.v2.session.messages({ sessionID, cursor: next.cursor.previous }, { throwOnError: true })
    ).data!
    expect(previous.data.map((message) => message.id)).to.deep.equal(first.data.map((message) => message.id))
    const both = await h.call('GET', `/api/session/${sessionID}/message?order=asc&cursor=${first.cursor.next}`)
    expect(both.status).to.equal(400)
    expect(both.body).to.deep.include({ _tag: 'InvalidRequestError', message: 'Cursor cannot be combined with order' })
  })

  it('gets one message, the context, and tagged 404s for unknown ids', async () => {
    const page = (await client.v2.session.messages({ sessionID, limit: 1 }, { throwOnError: true })).data!
    const one = (await client.v2.session.message({ sessionID, messageID: page.data[0]!.id }, { throwOnError: true }))
      .data!
    expectMatches21('GET', '/api/session/{sessionID}/message/{messageID}', 200, one)
    const context = (await client.v2.session.context({ sessionID }, { throwOnError: true })).data!
    expectMatches21('GET', '/api/session/{sessionID}/context', 200, context)
    expect(context.data).to.have.length(5)

    const noSession = await h.call('GET', '/api/session/ses_nope')
    expect(noSession.status).to.equal(404)
    expect(noSession.body).to.deep.equal({
      _tag: 'SessionNotFoundError',
      message: 'Session not found: ses_nope',
      sessionID: 'ses_nope',
    })
    expectMatches21('GET', '/api/session/{sessionID}', 404, noSession.body)
    const noMessage = await h.call('GET', `/api/session/${sessionID}/message/msg_nope`)
    expect(noMessage.status).to.equal(404)
    expectMatches21('GET', '/api/session/{sessionID}/message/{messageID}', 404, noMessage.body)
    const noSessionMessage = await h.call('GET', '/api/session/ses_nope/message/msg_nope')
    expect(noSessionMessage.body).to.deep.equal({
      _tag: 'SessionNotFoundError',
      message: 'Session not found: ses_nope',
      sessionID: 'ses_nope',
    })
    const badID = await h.call('GET', '/api/session/nope')
    expect(badID.status).to.equal(400)
    expect(badID.body._tag).to.equal('InvalidRequestError')
  })

  it('creates sessions at a location, idempotently by id, visible to v1', async () => {
    const created = (
      await client.v2.session.create(
        { location: { directory: h.repo }, agent: 'plan', model: { id: 'test-model', providerID: 'scripted' } },
        { throwOnError: true },
      )
    ).data!
    expectMatches21('POST', '/api/session', 200, created)
    expect(created.data).to.deep.include({ agent: 'plan' })
    expect(created.data.model).to.deep.equal({ id: 'test-model', providerID: 'scripted', variant: 'default' })
    const v1 = await h.call('GET', `/session/${created.data.id}`)
    expect(v1.status).to.equal(200)

    const chosen = 'ses_0123456789abcdefghijklmnop'
    const first = (await client.v2.session.create({ id: chosen }, { throwOnError: true })).data!
    const again = (await client.v2.session.create({ id: chosen, agent: 'build' }, { throwOnError: true })).data!
    expect(again.data).to.deep.equal(first.data)
    const missing = await h.call('POST', '/api/session', { location: { directory: '/no/such/dir' } })
    expect(missing.status).to.equal(400)
    expect(missing.body._tag).to.equal('InvalidRequestError')
  })

  it('lists running sessions in /api/session/active', async () => {
    const idle = (await client.v2.session.active({ throwOnError: true })).data!
    expectMatches21('GET', '/api/session/active', 200, idle)
    expect(idle.data).to.deep.equal({})
    h.llm.script({ text: ['slow', 'ly'], delayMs: 400 })
    const running = h.prompt(sessionID, 'Take your time')
    await new Promise((resolve) => setTimeout(resolve, 150))
    const busy = (await client.v2.session.active({ throwOnError: true })).data!
    expect(busy.data).to.deep.equal({ [sessionID]: { type: 'running' } })
    await running
  })
})
