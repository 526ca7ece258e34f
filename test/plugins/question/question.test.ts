import { expect } from 'chai'
import { cleanup } from '../../support/helper.js'
import { sessionHarness, until, type SessionHarness } from '../../support/session.js'
import { QUESTIONS } from './fixtures.js'

async function asked(h: SessionHarness): Promise<any> {
  await until(() => h.events.some((e) => e.type === 'question.asked'), 5000, 'question.asked')
  return h.events.find((e) => e.type === 'question.asked')!.properties
}

const toolPart = (message: any) => message.parts.find((p: any) => p.type === 'tool')

describe('plugin: question', () => {
  afterEach(cleanup)

  it('asks through the question tool and gives the model the answers', async () => {
    const h = await sessionHarness()
    h.llm.script({ toolCalls: [{ name: 'question', args: { questions: QUESTIONS } }] }, { text: 'Red it is.' })
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'ask me')
    const request = await asked(h)
    expect(request.id).to.match(/^que/)
    expect(request).to.deep.include({ sessionID: session.id, questions: QUESTIONS })
    expect(request.tool.callID).to.equal('call_1')
    expect((await h.call('GET', '/question/questions')).body).to.deep.equal([request])
    expect((await h.call('GET', '/question')).body).to.deep.equal([request])

    const answer = await h.call('POST', `/question/questions/${request.id}/reply`, { answers: [['Red'], ['S', 'L']] })
    expect(answer).to.deep.include({ status: 200, body: true })
    const done = (await reply).body
    expect(done.parts.find((p: any) => p.type === 'text').text).to.equal('Red it is.')
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    const state = toolPart(messages[1]).state
    expect(state).to.include({
      status: 'completed',
      title: 'Asked 2 questions',
      output:
        'User has answered your questions: "Pick a color?"="Red", "Which sizes?"="S, L". You can now continue with the user\'s answers in mind.',
    })
    expect(state.metadata).to.deep.equal({ answers: [['Red'], ['S', 'L']], truncated: false })
    expect(h.events.find((e) => e.type === 'question.replied')!.properties).to.deep.equal({
      sessionID: session.id,
      requestID: request.id,
      answers: [['Red'], ['S', 'L']],
    })
    expect(JSON.stringify(h.llm.requests[1]!.body.messages)).to.contain('\\"Pick a color?\\"=\\"Red\\"')
    // Answered once: a second reply is a 404.
    expect((await h.call('POST', `/question/${request.id}/reply`, { answers: [['Blue']] })).status).to.equal(404)
  })

  it('a rejection fails the tool and stops the loop', async () => {
    const h = await sessionHarness()
    h.llm.script({ toolCalls: [{ name: 'question', args: { questions: QUESTIONS.slice(0, 1) } }] }, { text: 'never' })
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'ask me')
    const request = await asked(h)
    expect((await h.call('POST', `/question/${request.id}/reject`)).body).to.equal(true)
    const done = (await reply).body
    expect(toolPart(done).state).to.include({ status: 'error', error: 'The user dismissed this question' })
    expect(h.llm.requests).to.have.length(1)
    expect(h.events.find((e) => e.type === 'question.rejected')!.properties).to.deep.equal({
      sessionID: session.id,
      requestID: request.id,
    })
    expect((await h.call('GET', '/question')).body).to.deep.equal([])
  })

  it('answers 404 for unknown ids and 400 for malformed ones or bodies', async () => {
    const h = await sessionHarness()
    h.llm.script({ toolCalls: [{ name: 'question', args: { questions: QUESTIONS.slice(0, 1) } }] }, { text: 'ok' })
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'ask me')
    const request = await asked(h)
    const unknown = await h.call('POST', '/question/que_unknown/reply', { answers: [] })
    expect(unknown.status).to.equal(404)
    expect(unknown.body.name).to.equal('QuestionNotFoundError')
    expect((await h.call('POST', '/question/questions/que_unknown/reject')).status).to.equal(404)
    expect((await h.call('POST', '/question/per_123/reply', { answers: [] })).status).to.equal(400)
    expect((await h.call('POST', `/question/${request.id}/reply`, { answers: 'Red' })).status).to.equal(400)
    expect((await h.call('POST', `/question/${request.id}/reply`, { answers: [[1]] })).status).to.equal(400)
    expect((await h.call('GET', '/question')).body).to.have.length(1)
    await h.call('POST', `/question/${request.id}/reply`, { answers: [['Blue']] })
    expect((await reply).status).to.equal(200)
  })

  it('abort dismisses a pending question', async () => {
    const h = await sessionHarness()
    h.llm.script({ toolCalls: [{ name: 'question', args: { questions: QUESTIONS.slice(0, 1) } }] })
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'ask me')
    await asked(h)
    await h.call('POST', `/session/${session.id}/abort`)
    expect((await reply).body.info.error.name).to.equal('MessageAbortedError')
    expect((await h.call('GET', '/question')).body).to.deep.equal([])
    expect(h.events.some((e) => e.type === 'question.rejected')).to.equal(true)
  })

  it('is not offered to agents whose rules deny it', async () => {
    const h = await sessionHarness()
    h.llm.script({ text: 'ok' })
    const session = await h.createSession()
    await h.prompt(session.id, 'explore', { agent: 'general' })
    const offered = h.llm.requests[0]!.body.tools?.map((t: any) => t.function.name) ?? []
    expect(offered).to.not.include('question')
    expect(offered).to.include('read')
  })
})
