import { expect } from 'chai'
import type {} from '../../../../plugins/question/types.js' // app.forms
import type {} from '../../../../plugins/session/types.js' // app.sessions
import { cleanup } from '../../../support/helper.js'
import { expectMatches21 } from '../../../support/openapi.js'
import { sessionHarness, until, type SessionHarness } from '../../../support/session.js'
import { QUESTIONS } from '../fixtures.js'

const FORM = '/api/session/{sessionID}/form'
const ONE = '/api/session/{sessionID}/form/{formID}'
const REPLY = '/api/session/{sessionID}/form/{formID}/reply'

/** A run whose model calls the `question` tool, and the form it made. */
async function askedForm(h: SessionHarness, ...after: { text: string }[]) {
  h.llm.script({ toolCalls: [{ name: 'question', args: { questions: QUESTIONS } }] }, ...after)
  const session = await h.createSession()
  const reply = h.prompt(session.id, 'ask me')
  await until(() => h.events.some((event) => event.type === 'form.created'), 5000, 'form.created')
  const form = h.events.find((event) => event.type === 'form.created')!.properties.form as any
  const question = h.events.find((event) => event.type === 'question.asked')!.properties as any
  return { session, reply, form, question }
}

const toolPart = (message: any) => message.parts.find((part: any) => part.type === 'tool')
const eventsOf = (h: SessionHarness, type: string) => h.events.filter((e) => e.type === type).map((e) => e.properties)

describe('question: OpenCode 2.1 forms', function () {
  // Each test drives real runs against the scripted model; a loaded machine makes them slow.
  this.timeout(40_000)
  afterEach(cleanup)

  it("shows the question tool's questions as a form and completes the tool with a form reply", async () => {
    const h = await sessionHarness()
    const { session, reply, form, question } = await askedForm(h, { text: 'Red it is.' })
    expect(form).to.deep.equal({
      id: form.id,
      sessionID: session.id,
      title: 'Questions',
      metadata: { kind: 'question', tool: { messageID: question.tool.messageID, id: question.tool.callID } },
      fields: [
        {
          key: 'q0',
          title: 'Color',
          description: 'Pick a color?',
          type: 'string',
          options: [
            { value: 'Red', label: 'Red', description: 'warm' },
            { value: 'Blue', label: 'Blue', description: 'cold' },
          ],
          custom: true,
        },
        {
          key: 'q1',
          title: 'Sizes',
          description: 'Which sizes?',
          type: 'multiselect',
          options: [
            { value: 'S', label: 'S', description: 'small' },
            { value: 'L', label: 'L', description: 'large' },
          ],
          custom: true,
        },
      ],
    })
    expect(form.id).to.match(/^frm_/)
    const bySession = await h.call('GET', `/api/session/${session.id}/form`)
    expectMatches21('GET', FORM, 200, bySession.body)
    expect(bySession.body).to.deep.equal({ data: [form] })
    const byLocation = await h.call('GET', `/api/form?location[directory]=${encodeURIComponent(h.repo)}`)
    expectMatches21('GET', '/api/form', 200, byLocation.body)
    expect(byLocation.body).to.deep.equal({ location: { directory: h.repo }, data: [form] })
    // 1.x clients see the same conversation as a question.
    expect((await h.call('GET', '/question')).body).to.deep.equal([question])
    expect((await h.call('GET', `/api/session/${session.id}/question`)).body.data).to.deep.equal([question])

    const invalid = await h.call('POST', `/api/session/${session.id}/form/${form.id}/reply`, {
      answer: { q0: ['Red'] },
    })
    expect(invalid.status).to.equal(400)
    expect(invalid.body).to.deep.equal({
      _tag: 'FormInvalidAnswerError',
      id: form.id,
      message: 'Expected string for form field: q0',
    })
    expectMatches21('POST', REPLY, 400, invalid.body)

    const answered = await h.call('POST', `/api/session/${session.id}/form/${form.id}/reply`, { answer: { q0: 'Red' } })
    expect(answered.status).to.equal(204)
    expect((await reply).body.parts.find((part: any) => part.type === 'text').text).to.equal('Red it is.')
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(toolPart(messages[1]).state).to.include({
      status: 'completed',
      output:
        'User has answered your questions: "Pick a color?"="Red", "Which sizes?"="Unanswered". You can now continue with the user\'s answers in mind.',
    })
    expect(toolPart(messages[1]).state.metadata).to.deep.equal({ answers: [['Red'], []], truncated: false })
    expect(eventsOf(h, 'form.replied')).to.deep.equal([{ id: form.id, sessionID: session.id, answer: { q0: 'Red' } }])
    expect(eventsOf(h, 'question.replied')).to.deep.equal([
      { sessionID: session.id, requestID: question.id, answers: [['Red'], []] },
    ])

    const state = await h.call('GET', `/api/session/${session.id}/form/${form.id}`)
    expectMatches21('GET', ONE, 200, state.body)
    expect(state.body.data.state).to.deep.equal({ status: 'answered', answer: { q0: 'Red' } })
    expect((await h.call('GET', `/api/session/${session.id}/form`)).body.data).to.deep.equal([])
    expect((await h.call('GET', '/question')).body).to.deep.equal([])
    const again = await h.call('DELETE', `/api/session/${session.id}/form/${form.id}`)
    expect(again.status).to.equal(409)
    expect(again.body).to.deep.equal({
      _tag: 'FormAlreadySettledError',
      id: form.id,
      message: `Form already settled: ${form.id}`,
    })
    expectMatches21('DELETE', ONE, 409, again.body)
    expect((await h.call('POST', `/question/${question.id}/reply`, { answers: [['Blue']] })).status).to.equal(404)
  })

  it('a cancel with a message fails the tool with it and the loop goes on', async () => {
    const h = await sessionHarness()
    const { session, reply, form, question } = await askedForm(h, { text: 'Skipped, going on.' })
    const cancelled = await h.call('DELETE', `/api/session/${session.id}/form/${form.id}?message=skip`)
    expect(cancelled.status).to.equal(204)
    const done = (await reply).body
    expect(done.parts.find((part: any) => part.type === 'text').text).to.equal('Skipped, going on.')
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(toolPart(messages[1]).state).to.include({ status: 'error', error: 'skip' })
    expect(h.llm.requests).to.have.length(2)
    expect(eventsOf(h, 'form.cancelled')).to.deep.equal([{ id: form.id, sessionID: session.id }])
    expect(eventsOf(h, 'question.rejected')).to.deep.equal([{ sessionID: session.id, requestID: question.id }])
    const state = (await h.call('GET', `/api/session/${session.id}/form/${form.id}`)).body.data.state
    expect(state).to.deep.equal({ status: 'cancelled', message: 'skip' })
  })

  it('a 1.x reply answers the form too', async () => {
    const h = await sessionHarness()
    const { session, reply, form, question } = await askedForm(h, { text: 'ok' })
    await h.call('POST', `/question/${question.id}/reply`, { answers: [['Red'], ['S', 'L']] })
    expect((await reply).status).to.equal(200)
    const state = (await h.call('GET', `/api/session/${session.id}/form/${form.id}`)).body.data.state
    expect(state).to.deep.equal({ status: 'answered', answer: { q0: 'Red', q1: ['S', 'L'] } })
    expect(eventsOf(h, 'form.replied')).to.deep.equal([
      { id: form.id, sessionID: session.id, answer: { q0: 'Red', q1: ['S', 'L'] } },
    ])
  })

  it('a 1.x rejection or an abort cancels the form, and the loop stops', async () => {
    const h = await sessionHarness()
    const first = await askedForm(h)
    await h.call('POST', `/question/${first.question.id}/reject`)
    expect(toolPart((await first.reply).body).state.error).to.equal('The user dismissed this question')
    expect(h.llm.requests).to.have.length(1)
    const rejected = (await h.call('GET', `/api/session/${first.session.id}/form/${first.form.id}`)).body.data.state
    expect(rejected).to.deep.equal({ status: 'cancelled' })
    expect(eventsOf(h, 'form.cancelled')).to.deep.equal([{ id: first.form.id, sessionID: first.session.id }])

    h.events.length = 0
    const second = await askedForm(h)
    await h.call('POST', `/session/${second.session.id}/abort`)
    await second.reply
    const aborted = (await h.call('GET', `/api/session/${second.session.id}/form/${second.form.id}`)).body.data.state
    expect(aborted).to.deep.equal({ status: 'cancelled' })
    expect(eventsOf(h, 'form.cancelled')).to.deep.equal([{ id: second.form.id, sessionID: second.session.id }])
    expect((await h.call('GET', '/api/form')).body.data).to.deep.equal([])
  })

  it("keeps a client's form until it is answered or cancelled, checking what it is sent", async () => {
    const h = await sessionHarness()
    const session = await h.createSession()
    const base = `/api/session/${session.id}/form`
    const fields = [
      { key: 'name', type: 'string', required: true, minLength: 2, bogus: 1 },
      { key: 'tags', type: 'multiselect', options: [{ value: 'a', label: 'A' }], maxItems: 1 },
      { key: 'more', type: 'boolean' },
      { key: 'why', type: 'string', when: [{ key: 'more', op: 'eq', value: true }] },
      { key: 'docs', type: 'external', url: 'https://example.com' },
    ]
    const created = await h.call('POST', base, { id: 'frm_mine', title: 'About you', metadata: { k: 1 }, fields })
    expect(created.status).to.equal(200)
    expectMatches21('POST', FORM, 200, created.body)
    expect(created.body.data.fields[0]).to.deep.equal({ key: 'name', type: 'string', required: true, minLength: 2 })
    expect(eventsOf(h, 'form.created')).to.deep.equal([{ form: created.body.data }])

    const refused: [unknown, number, string][] = [
      [{ id: 'frm_mine', title: 'x', fields }, 409, 'ConflictError'],
      [{ title: 'x', fields: [] }, 400, 'InvalidRequestError'],
      [{ title: 'x', fields: [{ key: 'a' }] }, 400, 'InvalidRequestError'],
      [{ fields }, 400, 'InvalidRequestError'],
      [{ id: 'bad', title: 'x', fields }, 400, 'InvalidRequestError'],
      [{ title: 'x', fields: [fields[0], fields[0]] }, 400, 'InvalidRequestError'],
      [{ title: 'x', fields: [fields[3]] }, 400, 'InvalidRequestError'],
      [{ title: 'x', metadata: [1], fields }, 400, 'InvalidRequestError'],
    ]
    for (const [body, status, tag] of refused) {
      const answer = await h.call('POST', base, body)
      expect([answer.status, answer.body._tag], JSON.stringify(body)).to.deep.equal([status, tag])
      expectMatches21('POST', FORM, status, answer.body)
    }
    expect((await h.call('GET', base)).body.data.map((form: any) => form.id)).to.deep.equal(['frm_mine'])
    const duplicate = await h.call('POST', base, { title: 'x', fields: [fields[0], fields[0]] })
    expect(duplicate.body).to.deep.equal({
      _tag: 'InvalidRequestError',
      message: 'Duplicate form field key: name',
      field: 'fields',
    })

    const reply = (answer: unknown) => h.call('POST', `${base}/frm_mine/reply`, { answer })
    const invalid: [unknown, string][] = [
      [{}, 'Missing required form field: name'],
      [{ name: 'x', docs: true }, 'Form field is too short: name'],
      [{ name: 'xy', tags: ['a', 'b'], docs: true }, 'Too many selections for form field: tags'],
      [{ name: 'xy', why: 'no', docs: true }, 'Form field is not active: why'],
      [{ name: 'xy' }, 'External form field must be acknowledged: docs'],
      [{ nope: 1 }, 'Unknown form field: nope'],
    ]
    for (const [answer, message] of invalid) {
      const response = await reply(answer)
      expect(response.body, JSON.stringify(answer)).to.deep.equal({
        _tag: 'FormInvalidAnswerError',
        id: 'frm_mine',
        message,
      })
    }
    const malformed = await reply({ name: { x: 1 } })
    expect([malformed.status, malformed.body._tag]).to.deep.equal([400, 'InvalidRequestError'])
    expect((await h.call('POST', `${base}/frm_mine/reply`, {})).status).to.equal(400)
    const pending = (await h.call('GET', `${base}/frm_mine`)).body
    expectMatches21('GET', ONE, 200, pending)
    expect(pending.data.state).to.deep.equal({ status: 'pending' })

    expect((await reply({ name: 'Ann', more: true, why: 'curious', docs: true })).status).to.equal(204)
    const answer = { name: 'Ann', more: true, why: 'curious', docs: true }
    expect(eventsOf(h, 'form.replied')).to.deep.equal([{ id: 'frm_mine', sessionID: session.id, answer }])
    expect((await h.call('GET', `${base}/frm_mine`)).body.data.state).to.deep.equal({ status: 'answered', answer })
    const twice = await reply(answer)
    expect([twice.status, twice.body._tag]).to.deep.equal([409, 'FormAlreadySettledError'])
    expectMatches21('POST', REPLY, 409, twice.body)

    const other = (await h.call('POST', base, { title: 'Later', fields: [{ key: 'a', type: 'string' }] })).body.data
    expect((await h.call('DELETE', `${base}/${other.id}?message=not now`)).status).to.equal(204)
    expect((await h.call('GET', `${base}/${other.id}`)).body.data.state).to.deep.equal({
      status: 'cancelled',
      message: 'not now',
    })
    expect(eventsOf(h, 'form.cancelled')).to.deep.equal([{ id: other.id, sessionID: session.id }])
  })

  it('answers unknown forms and sessions with a tagged 404 and malformed ids with a 400', async () => {
    const h = await sessionHarness()
    const session = await h.createSession()
    const otherSession = await h.createSession()
    const base = `/api/session/${session.id}/form`
    await h.call('POST', base, { id: 'frm_here', title: 'x', fields: [{ key: 'a', type: 'string' }] })
    const notFound = { _tag: 'FormNotFoundError', id: 'frm_nope', message: 'Form not found: frm_nope' }
    for (const [method, url, payload, path] of [
      ['GET', `${base}/frm_nope`, undefined, ONE],
      ['DELETE', `${base}/frm_nope`, undefined, ONE],
      ['POST', `${base}/frm_nope/reply`, { answer: {} }, REPLY],
    ] as const) {
      const answer = await h.call(method, url, payload)
      expect(answer.status, `${method} ${url}`).to.equal(404)
      expect(answer.body).to.deep.equal(notFound)
      expectMatches21(method, path, 404, answer.body)
    }
    // A form is found through its own session only.
    const foreign = await h.call('GET', `/api/session/${otherSession.id}/form/frm_here`)
    expect(foreign.body).to.deep.include({ _tag: 'FormNotFoundError', id: 'frm_here' })
    const noSession = await h.call('GET', '/api/session/ses_nope/form')
    expect(noSession.status).to.equal(404)
    expect(noSession.body).to.deep.equal({
      _tag: 'SessionNotFoundError',
      sessionID: 'ses_nope',
      message: 'Session not found: ses_nope',
    })
    expectMatches21('GET', FORM, 404, noSession.body)
    const created = await h.call('POST', '/api/session/ses_nope/form', {
      title: 'x',
      fields: [{ key: 'a', type: 'string' }],
    })
    expect(created.status).to.equal(404)
    for (const url of [`${base}/bad`, `${base}/que_1`, '/api/session/bad/form']) {
      const answer = await h.call('GET', url)
      expect([answer.status, answer.body._tag], url).to.deep.equal([400, 'InvalidRequestError'])
    }
    expect((await h.call('DELETE', `${base}/bad`)).status).to.equal(400)
    expect((await h.call('GET', `${base}/frm_here`)).body.data.state).to.deep.equal({ status: 'pending' })
  })

  it("cancelSession cancels the forms a session's tool calls wait on; a client's own stay", async () => {
    const h = await sessionHarness()
    const { session, reply, form } = await askedForm(h)
    const base = `/api/session/${session.id}/form`
    await h.call('POST', base, { id: 'frm_own', title: 'x', fields: [{ key: 'a', type: 'string' }] })
    const instance = await h.server.app.sessions.locate(session.id)
    expect(h.server.app.forms.cancelSession(instance, session.id)).to.equal(1)
    expect(toolPart((await reply).body).state.error).to.equal('The user dismissed this question')
    expect(eventsOf(h, 'form.cancelled')).to.deep.equal([{ id: form.id, sessionID: session.id }])
    expect((await h.call('GET', base)).body.data.map((item: any) => item.id)).to.deep.equal(['frm_own'])
  })
})
