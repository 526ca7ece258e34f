// OpenCode 2.1's `GET /api/experimental/session/:id/export`: the session and its whole transcript.
import { expect } from 'chai'
import { cleanup } from '../../../../support/helper.js'
import { expectMatches21 } from '../../../../support/openapi.js'
import { sessionHarness, type SessionHarness } from '../../../../support/session.js'

describe('session: OpenCode 2.1 export', () => {
  let h: SessionHarness
  before(async () => {
    h = await sessionHarness({})
  })
  after(cleanup)

  it('exports the session and its transcript, oldest first, as 2.1 shows them; sanitize redacts', async () => {
    const created = await h.call('POST', '/api/session', { location: { directory: h.repo }, title: 'secret plan' })
    const sessionID = created.body.data.id as string
    h.llm.script({ text: 'Hello world' })
    expect((await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'hi' })).status).to.equal(200)
    expect((await h.call('POST', `/api/experimental/session/${sessionID}/wait`)).status).to.equal(204)
    const exported = await h.call('GET', `/api/experimental/session/${sessionID}/export`)
    expect(exported.status, JSON.stringify(exported.body)).to.equal(200)
    expectMatches21('GET', '/api/experimental/session/{sessionID}/export', 200, exported.body)
    const { info, messages } = exported.body.data
    expect(info).to.deep.equal((await h.call('GET', `/api/session/${sessionID}`)).body.data)
    const page = await h.call('GET', `/api/session/${sessionID}/message?limit=500&order=asc`)
    expect(messages).to.deep.equal(page.body.data)
    expect(messages.map((m: { type: string }) => m.type)).to.deep.equal(['user', 'assistant', 'idle'])

    const sanitized = await h.call('GET', `/api/experimental/session/${sessionID}/export?sanitize=true`)
    expectMatches21('GET', '/api/experimental/session/{sessionID}/export', 200, sanitized.body)
    expect(sanitized.body.data.info.title).to.equal(`[redacted:session-title:${sessionID}]`)
    expect(JSON.stringify(sanitized.body.data.info)).to.not.include(h.repo).and.not.include('secret plan')
  })

  it('rejects a bad query (400) and unknown sessions (404)', async () => {
    const created = await h.call('POST', '/api/session', { location: { directory: h.repo } })
    const bad = await h.call('GET', `/api/experimental/session/${created.body.data.id}/export?sanitize=yes`)
    expect(bad.status).to.equal(400)
    expectMatches21('GET', '/api/experimental/session/{sessionID}/export', 400, bad.body)
    const unknown = await h.call('GET', '/api/experimental/session/ses_nope/export')
    expect(unknown.status).to.equal(404)
    expectMatches21('GET', '/api/experimental/session/{sessionID}/export', 404, unknown.body)
  })
})
