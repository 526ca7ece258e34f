// OpenCode 2.1's `GET /api/experimental/session/:id/log`: the head of the session's durable log,
// and with `follow=true` its durable events after that head, over a real socket.
import { expect } from 'chai'
import { cleanup, listen, openSse } from '../../../../support/helper.js'
import { sessionHarness, type SessionHarness } from '../../../../support/session.js'

describe('session: OpenCode 2.1 log', () => {
  let h: SessionHarness
  let base: string
  before(async () => {
    h = await sessionHarness({ extraPlugins: ['sync'] })
    base = await listen(h.server)
  })
  after(cleanup)

  const create = async () =>
    (await h.call('POST', '/api/session', { location: { directory: h.repo } })).body.data.id as string

  it('answers one log.synced frame with the head seq, then ends', async () => {
    const sessionID = await create()
    expect((await h.call('PATCH', `/api/session/${sessionID}`, { title: 'one' })).status).to.equal(204)
    const answer = await fetch(`${base}/api/experimental/session/${sessionID}/log`)
    expect(answer.status).to.equal(200)
    expect(answer.headers.get('content-type')).to.match(/^text\/event-stream/)
    const frames = (await answer.text()).split('\n\n').filter((frame) => frame.startsWith('data: '))
    expect(frames).to.have.length(1)
    const synced = JSON.parse(frames[0]!.slice(6))
    expect(synced).to.deep.equal({ type: 'log.synced', aggregateID: sessionID, seq: synced.seq })
    expect(synced.seq).to.be.at.least(1)
  })

  it('with follow=true streams the durable events logged after the head, in 2.1 shapes', async () => {
    const sessionID = await create()
    const stream = await openSse(`${base}/api/experimental/session/${sessionID}/log?follow=true&after=0`)
    const synced = await stream.next((frame) => frame.data?.type === 'log.synced')
    const head = synced.data.seq as number
    expect((await h.call('PATCH', `/api/session/${sessionID}`, { title: 'two', archived: true })).status).to.equal(204)
    const renamed = await stream.next((frame) => frame.data?.type === 'session.renamed')
    expect(renamed.data.data).to.deep.equal({ sessionID, title: 'two' })
    expect(renamed.data.durable.aggregateID).to.equal(sessionID)
    expect(renamed.data.durable.seq).to.be.greaterThan(head)
    const archived = await stream.next((frame) => frame.data?.type === 'session.archived')
    expect(archived.data.durable.seq).to.be.greaterThan(renamed.data.durable.seq)
    expect(stream.frames.map((frame) => frame.data?.type)).to.not.include('session.updated')
    stream.close()
  })

  it('rejects bad queries (400) and unknown sessions (404)', async () => {
    const sessionID = await create()
    for (const query of ['?after=x', '?after=-1', '?follow=yes']) {
      const answer = await h.call('GET', `/api/experimental/session/${sessionID}/log${query}`)
      expect(answer.status, query).to.equal(400)
      expect(answer.body._tag).to.equal('InvalidRequestError')
    }
    const unknown = await h.call('GET', '/api/experimental/session/ses_nope/log')
    expect(unknown.status).to.equal(404)
    expect(unknown.body._tag).to.equal('SessionNotFoundError')
  })
})
