// OpenCode 2.1's session management on `/api/session/:id`: PATCH (what `opencode run --title`
// sends), fork (`--fork`) and DELETE, over the same stored sessions as v1's routes.
import { expect } from 'chai'
import { cleanup, listen, openSse, type SseConnection } from '../../../../support/helper.js'
import { expectMatches21 } from '../../../../support/openapi.js'
import { sessionHarness, type SessionHarness } from '../../../../support/session.js'

const framesOf = (stream: SseConnection, sessionID: string) =>
  stream.frames.map((frame) => frame.data).filter((data) => data?.data?.sessionID === sessionID)

describe('session: OpenCode 2.1 session management', () => {
  let h: SessionHarness
  let base: string
  before(async () => {
    h = await sessionHarness({ files: { 'a.txt': 'hello world\n' }, extraPlugins: ['sync'] })
    base = await listen(h.server)
  })
  after(cleanup)

  const create = async (body: Record<string, unknown> = {}) => {
    const created = await h.call('POST', '/api/session', { location: { directory: h.repo }, ...body })
    expect(created.status, JSON.stringify(created.body)).to.equal(200)
    return created.body.data.id as string
  }
  const run = async (sessionID: string, text: string) => {
    h.llm.script({ text: ['Hello ', 'world'] })
    const prompt = await h.call('POST', `/api/session/${sessionID}/prompt`, { text })
    expect(prompt.status, JSON.stringify(prompt.body)).to.equal(200)
    expect((await h.call('POST', `/api/experimental/session/${sessionID}/wait`)).status).to.equal(204)
  }

  describe('PATCH /api/session/:sessionID', () => {
    it('renames, sets metadata and permissions, archives; v1 sees it; durable events on /api/event', async () => {
      const events = await openSse(`${base}/api/event`)
      await events.next((frame) => frame.data?.type === 'server.connected')
      const sessionID = await create({ title: 'before' })
      const permissions = [{ action: 'shell', resource: '*', effect: 'ask' }]
      const patch = await h.call('PATCH', `/api/session/${sessionID}`, {
        title: 'after',
        metadata: { ticket: 7 },
        permissions,
        archived: true,
      })
      expect(patch.status, JSON.stringify(patch.body)).to.equal(204)
      const read = await h.call('GET', `/api/session/${sessionID}`)
      expectMatches21('GET', '/api/session/{sessionID}', 200, read.body)
      expect(read.body.data).to.deep.include({ title: 'after', metadata: { ticket: 7 }, permissions })
      expect(read.body.data.time.archived).to.be.a('number')
      const v1 = await h.call('GET', `/session/${sessionID}`)
      expect(v1.body).to.deep.include({
        title: 'after',
        permission: [{ permission: 'shell', pattern: '*', action: 'ask' }],
      })

      await events.next((frame) => frame.data?.type === 'session.archived' && frame.data.data.sessionID === sessionID)
      const frames = framesOf(events, sessionID)
      const renamed = frames.find((data) => data.type === 'session.renamed')
      expect(renamed.data).to.deep.equal({ sessionID, title: 'after' })
      expect(renamed.durable).to.include({ aggregateID: sessionID })
      expect(frames.find((data) => data.type === 'session.metadata.updated').data).to.deep.equal({
        sessionID,
        metadata: { ticket: 7 },
      })
      const set = frames.find((data) => data.type === 'session.permissions')
      expect(set.data).to.deep.equal({ sessionID, permissions })
      expect(set.durable).to.include({ aggregateID: sessionID })
      expect(frames.map((data) => data.type)).to.not.include('session.updated')

      // title null is ignored; archived false restores; repeating the state publishes nothing.
      expect((await h.call('PATCH', `/api/session/${sessionID}`, { title: null, archived: false })).status).to.equal(
        204,
      )
      expect((await h.call('PATCH', `/api/session/${sessionID}`, { archived: false })).status).to.equal(204)
      const restored = await h.call('GET', `/api/session/${sessionID}`)
      expect(restored.body.data.title).to.equal('after')
      expect(restored.body.data.time).to.not.have.property('archived')
      await events.next((frame) => frame.data?.type === 'session.unarchived' && frame.data.data.sessionID === sessionID)
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(framesOf(events, sessionID).filter((data) => data.type === 'session.unarchived')).to.have.length(1)
      events.close()
    })

    it('rejects bad input with a precise 400 and changes nothing; unknown ids are 404', async () => {
      const sessionID = await create({ title: 'kept' })
      for (const body of [
        { title: 7 },
        { archived: 'yes' },
        { permissions: [{ action: 'shell', resource: '*', effect: 'maybe' }] },
        { metadata: 'x' },
        { title: 'x'.repeat(10_001) },
      ]) {
        const answer = await h.call('PATCH', `/api/session/${sessionID}`, body)
        expect(answer.status, JSON.stringify(body)).to.equal(400)
        expectMatches21('PATCH', '/api/session/{sessionID}', 400, answer.body)
        expect(answer.body._tag).to.equal('InvalidRequestError')
      }
      expect((await h.call('GET', `/api/session/${sessionID}`)).body.data.title).to.equal('kept')
      const missing = await h.call('PATCH', '/api/session/ses_nope', { title: 'x' })
      expect(missing.status).to.equal(404)
      expectMatches21('PATCH', '/api/session/{sessionID}', 404, missing.body)
      expect(missing.body).to.deep.equal({
        _tag: 'SessionNotFoundError',
        sessionID: 'ses_nope',
        message: 'Session not found: ses_nope',
      })
      expect((await h.call('PATCH', '/api/session/nope', { title: 'x' })).status).to.equal(400)
    })
  })

  describe('POST /api/session/:sessionID/fork', () => {
    it('copies the history through the last message, numbering the forks of a session', async () => {
      const events = await openSse(`${base}/api/event`)
      await events.next((frame) => frame.data?.type === 'server.connected')
      const sessionID = await create({ title: 'origin' })
      await run(sessionID, 'first')
      const source = await h.call('GET', `/api/session/${sessionID}/message?limit=200&order=asc`)
      const last = source.body.data.filter((m: { type: string }) => m.type !== 'idle').at(-1).id as string
      const first = await h.call('POST', `/api/session/${sessionID}/fork`, {})
      expect(first.status, JSON.stringify(first.body)).to.equal(200)
      expectMatches21('POST', '/api/session/{sessionID}/fork', 200, first.body)
      const fork = first.body.data
      expect(fork.id).to.not.equal(sessionID)
      expect(fork).to.not.have.property('parentID')
      expect(fork.title).to.equal('origin (fork #1)')
      expect(fork.fork.sessionID).to.equal(sessionID)
      expect(fork.fork.boundary.type).to.equal('through')
      const v1Messages = (await h.call('GET', `/session/${fork.id}/message`)).body
      const v1Source = (await h.call('GET', `/session/${sessionID}/message`)).body
      expect(v1Messages.map((m: { info: { role: string } }) => m.info.role)).to.deep.equal(
        v1Source.map((m: { info: { role: string } }) => m.info.role),
      )
      expect(v1Source.map((m: { info: { id: string } }) => m.info.id)).to.include(fork.fork.boundary.messageID)
      expect(last).to.be.a('string')

      const second = await h.call('POST', `/api/session/${sessionID}/fork`, {})
      expect(second.body.data.title).to.equal('origin (fork #2)')
      await events.next((frame) => frame.data?.type === 'session.forked' && frame.data.data.sessionID === fork.id)
      const forked = framesOf(events, fork.id).find((data) => data.type === 'session.forked')
      expect(forked.data).to.deep.include({ sessionID: fork.id, parentID: sessionID })
      expect(forked.durable).to.include({ aggregateID: fork.id })
      events.close()
    })

    it('copies the messages before `before`; unknown message or session is 404, bad input 400', async () => {
      const sessionID = await create({ title: 'cut' })
      await run(sessionID, 'one')
      await run(sessionID, 'two')
      const v1Source = (await h.call('GET', `/session/${sessionID}/message`)).body as {
        info: { id: string; role: string }
      }[]
      const secondUser = v1Source.filter((m) => m.info.role === 'user')[1]!.info.id
      const cut = await h.call('POST', `/api/session/${sessionID}/fork`, { before: secondUser })
      expect(cut.status, JSON.stringify(cut.body)).to.equal(200)
      expect(cut.body.data.fork).to.deep.equal({ sessionID, boundary: { type: 'before', messageID: secondUser } })
      const copied = (await h.call('GET', `/session/${cut.body.data.id}/message`)).body
      expect(copied).to.have.length(v1Source.findIndex((m) => m.info.id === secondUser))

      const count = async () => (await h.call('GET', '/session')).body.length
      const empty = await create()
      const sessions = await count()
      const unknown = await h.call('POST', `/api/session/${sessionID}/fork`, { before: 'msg_nope' })
      expect(unknown.status).to.equal(404)
      expectMatches21('POST', '/api/session/{sessionID}/fork', 404, unknown.body)
      expect(unknown.body).to.deep.include({ _tag: 'MessageNotFoundError', messageID: 'msg_nope' })
      expect((await h.call('POST', '/api/session/ses_nope/fork', {})).status).to.equal(404)
      const none = await h.call('POST', `/api/session/${empty}/fork`, {})
      expect(none.status).to.equal(400)
      expectMatches21('POST', '/api/session/{sessionID}/fork', 400, none.body)
      expect(none.body).to.deep.equal({
        _tag: 'InvalidRequestError',
        message: `Cannot fork empty session: ${empty}`,
        kind: 'empty_session',
      })
      expect((await h.call('POST', `/api/session/${sessionID}/fork`)).status).to.equal(400)
      for (const body of [{ before: 7 }, { before: 'nope' }, { before: 'msg_' + 'x'.repeat(200) }]) {
        const answer = await h.call('POST', `/api/session/${sessionID}/fork`, body)
        expect(answer.status, JSON.stringify(body)).to.equal(400)
        expect(answer.body._tag).to.equal('InvalidRequestError')
      }
      expect(await count()).to.equal(sessions)
    })
  })

  describe('POST /api/session/:sessionID/view', () => {
    it("sets time.viewed when `idle` is the last run's end, else changes nothing", async () => {
      const events = await openSse(`${base}/api/event`)
      await events.next((frame) => frame.data?.type === 'server.connected')
      const sessionID = await create()
      await run(sessionID, 'hi')
      const read = async () => (await h.call('GET', `/api/session/${sessionID}`)).body.data
      const { idle } = (await read()).time
      expect(idle).to.be.a('number')
      const stale = await h.call('POST', `/api/session/${sessionID}/view`, { idle: idle - 1 })
      expect(stale.status).to.equal(204)
      expect((await read()).time).to.not.have.property('viewed')
      expect((await h.call('POST', `/api/session/${sessionID}/view`, { idle })).status).to.equal(204)
      const seen = await h.call('GET', `/api/session/${sessionID}`)
      expectMatches21('GET', '/api/session/{sessionID}', 200, seen.body)
      expect(seen.body.data.time.viewed).to.be.at.least(idle)
      expect((await h.call('GET', `/session/${sessionID}`)).body.time).to.not.have.property('viewed')
      const v1List = (await h.call('GET', '/session')).body as { id: string; time: object }[]
      expect(v1List.find((info) => info.id === sessionID)!.time).to.not.have.property('viewed')
      const list = await h.call('GET', '/api/session?limit=100')
      expect(list.body.data.find((info: { id: string }) => info.id === sessionID).time.viewed).to.be.at.least(idle)
      await events.next((frame) => frame.data?.type === 'session.viewed' && frame.data.data.sessionID === sessionID)
      const viewed = framesOf(events, sessionID).find((data) => data.type === 'session.viewed')
      expect(viewed.data).to.deep.equal({ sessionID, idle })
      expect(viewed.durable).to.include({ aggregateID: sessionID })
      events.close()
    })

    it('rejects a bad body (400) and unknown sessions (404)', async () => {
      const sessionID = await create()
      for (const body of [{}, { idle: 'now' }, { idle: -1 }]) {
        const answer = await h.call('POST', `/api/session/${sessionID}/view`, body)
        expect(answer.status, JSON.stringify(body)).to.equal(400)
        expectMatches21('POST', '/api/session/{sessionID}/view', 400, answer.body)
      }
      const unknown = await h.call('POST', '/api/session/ses_nope/view', { idle: 1 })
      expect(unknown.status).to.equal(404)
      expectMatches21('POST', '/api/session/{sessionID}/view', 404, unknown.body)
    })
  })

  describe('DELETE /api/session/:sessionID', () => {
    it('deletes the session and its children with session.deleted events; then 404', async () => {
      const events = await openSse(`${base}/api/event`)
      await events.next((frame) => frame.data?.type === 'server.connected')
      const sessionID = await create({ title: 'doomed' })
      const child = await create({ parentID: sessionID })
      const removed = await h.call('DELETE', `/api/session/${sessionID}`)
      expect(removed.status, JSON.stringify(removed.body)).to.equal(204)
      expect((await h.call('GET', `/api/session/${sessionID}`)).status).to.equal(404)
      expect((await h.call('GET', `/api/session/${child}`)).status).to.equal(404)
      expect((await h.call('GET', `/session/${child}`)).status).to.equal(404)
      await events.next((frame) => frame.data?.type === 'session.deleted' && frame.data.data.sessionID === sessionID)
      expect(framesOf(events, child).map((data) => data.type)).to.include('session.deleted')
      const again = await h.call('DELETE', `/api/session/${sessionID}`)
      expect(again.status).to.equal(404)
      expectMatches21('DELETE', '/api/session/{sessionID}', 404, again.body)
      expect((await h.call('DELETE', '/api/session/nope')).status).to.equal(400)
      events.close()
    })

    it('interrupts a running session before deleting it', async () => {
      const sessionID = await create({ title: 'busy' })
      h.llm.script({ text: ['slow ', 'answer'], delayMs: 2000 })
      expect((await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'go' })).status).to.equal(200)
      const active = await h.call('GET', '/api/session/active')
      expect(active.body.data).to.have.property(sessionID)
      expect((await h.call('DELETE', `/api/session/${sessionID}`)).status).to.equal(204)
      expect((await h.call('GET', '/api/session/active')).body.data).to.not.have.property(sessionID)
      expect((await h.call('GET', `/session/${sessionID}`)).status).to.equal(404)
    })
  })
})
