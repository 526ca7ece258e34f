// OpenCode 2.1's `POST /api/session/:id/generate`: text from the session's model with the
// conversation as context, and nothing stored.
import { expect } from 'chai'
import { cleanup } from '../../../../support/helper.js'
import { expectMatches21 } from '../../../../support/openapi.js'
import { sessionHarness, type SessionHarness } from '../../../../support/session.js'

describe('session: OpenCode 2.1 generate', () => {
  let h: SessionHarness
  before(async () => {
    h = await sessionHarness({})
  })
  after(cleanup)

  it("answers from the session's model with its conversation, storing nothing", async () => {
    const sessionID = (await h.call('POST', '/api/session', { location: { directory: h.repo } })).body.data.id
    h.llm.script({ text: 'Hello world' })
    expect(
      (await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'remember the word zebra' })).status,
    ).to.equal(200)
    expect((await h.call('POST', `/api/experimental/session/${sessionID}/wait`)).status).to.equal(204)
    const before = (await h.call('GET', `/session/${sessionID}/message`)).body.length
    const requests = h.llm.requests.length
    h.llm.script({ text: ['zeb', 'ra'] })
    const answer = await h.call('POST', `/api/session/${sessionID}/generate`, { prompt: 'Which word?' })
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200)
    expectMatches21('POST', '/api/session/{sessionID}/generate', 200, answer.body)
    expect(answer.body).to.deep.equal({ data: { text: 'zebra' } })
    const sent = JSON.stringify(h.llm.requests[requests]!.body.messages)
    expect(sent).to.include('remember the word zebra').and.include('Hello world').and.include('Which word?')
    expect((await h.call('GET', `/session/${sessionID}/message`)).body).to.have.length(before)
  })

  it('rejects bad input (400), unknown sessions (404); a failing provider is a 503', async () => {
    const sessionID = (await h.call('POST', '/api/session', { location: { directory: h.repo } })).body.data.id
    for (const body of [{}, { prompt: 7 }, { prompt: '' }]) {
      const answer = await h.call('POST', `/api/session/${sessionID}/generate`, body)
      expect(answer.status, JSON.stringify(body)).to.equal(400)
      expectMatches21('POST', '/api/session/{sessionID}/generate', 400, answer.body)
    }
    const unknown = await h.call('POST', '/api/session/ses_nope/generate', { prompt: 'x' })
    expect(unknown.status).to.equal(404)
    expectMatches21('POST', '/api/session/{sessionID}/generate', 404, unknown.body)
    h.llm.script({ status: 500, error: 'down' })
    const failed = await h.call('POST', `/api/session/${sessionID}/generate`, { prompt: 'x' })
    expect(failed.status, JSON.stringify(failed.body)).to.equal(503)
    expectMatches21('POST', '/api/session/{sessionID}/generate', 503, failed.body)
    expect(failed.body._tag).to.equal('ServiceUnavailableError')
  })
})
