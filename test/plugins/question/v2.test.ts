import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { cleanup, listen } from '../../support/helper.js'
import { expectMatchesReference } from '../../support/openapi.js'
import { sessionHarness, until, type SessionHarness } from '../../support/session.js'

const QUESTIONS = [
  {
    question: 'Pick a color?',
    header: 'Color',
    options: [
      { label: 'Red', description: 'warm' },
      { label: 'Blue', description: 'cold' },
    ],
  },
]

async function pendingQuestion(h: SessionHarness): Promise<string> {
  await until(() => h.events.some((event) => event.type === 'question.asked'), 5000, 'question.asked')
  return (h.events.find((event) => event.type === 'question.asked')!.properties as { id: string }).id
}

describe('question: v2 routes', () => {
  afterEach(cleanup)

  it('lists a pending question by location and by session, and a v2 answer reaches the model', async () => {
    const h = await sessionHarness()
    const client = createOpencodeClient({ baseUrl: await listen(h.server) })
    h.llm.script({ toolCalls: [{ name: 'question', args: { questions: QUESTIONS } }] }, { text: 'Red it is.' })
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'ask me')
    const requestID = await pendingQuestion(h)

    const byLocation = (
      await client.v2.question.request.list({ location: { directory: h.repo } }, { throwOnError: true })
    ).data!
    expectMatchesReference('GET', '/api/question/request', 200, byLocation)
    expect(byLocation.data.map((request) => request.id)).to.deep.equal([requestID])
    const bySession = (await client.v2.session.question.list({ sessionID: session.id }, { throwOnError: true })).data!
    expectMatchesReference('GET', '/api/session/{sessionID}/question', 200, bySession)
    expect(bySession.data[0]).to.deep.include({ id: requestID, sessionID: session.id })

    const other = await h.createSession()
    const foreign = await h.call('POST', `/api/session/${other.id}/question/${requestID}/reply`, { answers: [['Red']] })
    expect(foreign.status).to.equal(404)
    expect(foreign.body).to.deep.equal({
      _tag: 'QuestionNotFoundError',
      message: `Question not found: ${requestID}`,
      requestID,
    })
    expectMatchesReference('POST', '/api/session/{sessionID}/question/{requestID}/reply', 404, foreign.body)

    const answered = await client.v2.session.question.reply({
      sessionID: session.id,
      requestID,
      questionV2Reply: { answers: [['Red']] },
    })
    expect(answered.response.status).to.equal(204)
    expect((await reply).status).to.equal(200)
    const sent = JSON.stringify(h.llm.requests.at(-1)!.body.messages)
    expect(sent).to.contain('Red')
    const again = await h.call('POST', `/api/session/${session.id}/question/${requestID}/reply`, { answers: [['Red']] })
    expect(again.status).to.equal(404)
  })

  it('rejects a question, which stops the turn, and answers unknown sessions with a tagged 404', async () => {
    const h = await sessionHarness()
    const client = createOpencodeClient({ baseUrl: await listen(h.server) })
    h.llm.script({ toolCalls: [{ name: 'question', args: { questions: QUESTIONS } }] }, { text: 'never' })
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'ask me')
    const requestID = await pendingQuestion(h)
    const rejected = await client.v2.session.question.reject({ sessionID: session.id, requestID })
    expect(rejected.response.status).to.equal(204)
    const done = await reply
    expect(done.status).to.equal(200)
    const tool = done.body.parts.find((part: { type: string }) => part.type === 'tool')
    expect(tool.state).to.include({ status: 'error', error: 'The user dismissed this question' })
    expect(h.llm.requests).to.have.length(1)
    expect(h.events.find((event) => event.type === 'question.rejected')!.properties).to.deep.equal({
      sessionID: session.id,
      requestID,
    })
    const pending = (await client.v2.session.question.list({ sessionID: session.id }, { throwOnError: true })).data!
    expect(pending.data).to.deep.equal([])

    const again = await client.v2.session.question.reject({ sessionID: session.id, requestID })
    expect(again.response.status).to.equal(404)
    expect(again.error).to.deep.equal({
      _tag: 'QuestionNotFoundError',
      message: `Question not found: ${requestID}`,
      requestID,
    })
    expectMatchesReference('POST', '/api/session/{sessionID}/question/{requestID}/reject', 404, again.error)
    const noSession = await client.v2.session.question.reject({ sessionID: 'ses_nope', requestID })
    expect(noSession.response.status).to.equal(404)
    expect(noSession.error).to.deep.include({ _tag: 'SessionNotFoundError', sessionID: 'ses_nope' })
    expectMatchesReference('POST', '/api/session/{sessionID}/question/{requestID}/reject', 404, noSession.error)

    const unknown = await h.call('GET', '/api/session/ses_nope/question')
    expect(unknown.status).to.equal(404)
    expect(unknown.body).to.deep.equal({
      _tag: 'SessionNotFoundError',
      message: 'Session not found: ses_nope',
      sessionID: 'ses_nope',
    })
    expectMatchesReference('GET', '/api/session/{sessionID}/question', 404, unknown.body)
    const bad = await h.call('POST', `/api/session/${session.id}/question/que_x/reply`, { answers: 'Red' })
    expect(bad.status).to.equal(400)
    expect(bad.body._tag).to.equal('InvalidRequestError')
  })
})
