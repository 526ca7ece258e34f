// OpenCode 2.1's run model on `/api/session…`: what its CLI (`opencode run --server`) does, step by
// step (create at a location, prompt, wait, read the transcript), and the events of the run.
import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, listen, openSse, type SseConnection } from '../../../../support/helper.js'
import { expectMatches21 } from '../../../../support/openapi.js'
import { sessionHarness, until, type SessionHarness } from '../../../../support/session.js'

const types = (stream: SseConnection, sessionID: string) =>
  stream.frames.flatMap((frame) =>
    frame.data?.data?.sessionID === sessionID && typeof frame.data.type === 'string' ? [frame.data.type as string] : [],
  )

describe('session: OpenCode 2.1 run model', () => {
  let h: SessionHarness
  let base: string
  before(async () => {
    h = await sessionHarness({ files: { 'a.txt': 'hello world\n' }, extraPlugins: ['sync'] })
    base = await listen(h.server)
  })
  after(cleanup)

  const create = async (body: Record<string, unknown> = { location: { directory: h.repo } }) => {
    const created = await h.call('POST', '/api/session', body)
    expect(created.status, JSON.stringify(created.body)).to.equal(200)
    expectMatches21('POST', '/api/session', 200, created.body)
    return created.body.data.id as string
  }
  const wait = (sessionID: string) => h.call('POST', `/api/experimental/session/${sessionID}/wait`)

  it("drives a session the way 2.1's CLI does: create, prompt, wait, read the transcript", async () => {
    const events = await openSse(`${base}/api/event`)
    await events.next((frame) => frame.data?.type === 'server.connected')
    const sessionID = await create()
    h.llm.script({ text: ['Hello ', 'world'], delayMs: 10 })
    const id = 'msg_2521be5a20010AzaZ2g5NBNgRt'
    const prompt = await h.call('POST', `/api/session/${sessionID}/prompt`, {
      id,
      text: 'say hi',
      files: [],
      delivery: 'steer',
    })
    expect(prompt.status, JSON.stringify(prompt.body)).to.equal(200)
    expectMatches21('POST', '/api/session/{sessionID}/prompt', 200, prompt.body)
    expect(prompt.body.data).to.deep.include({ id, sessionID, type: 'user', delivery: 'steer' })
    expect(prompt.body.data.payload).to.deep.equal({ text: 'say hi', files: [] })

    const waited = await wait(sessionID)
    expect(waited.status).to.equal(204)
    const messages = await h.call('GET', `/api/session/${sessionID}/message?limit=200&order=desc`)
    expect(messages.status).to.equal(200)
    expectMatches21('GET', '/api/session/{sessionID}/message', 200, messages.body)
    const [idle, assistant, user] = messages.body.data
    expect(idle).to.deep.include({ type: 'idle', outcome: 'succeeded' })
    expect(assistant).to.deep.include({ type: 'assistant', finish: 'stop' })
    expect(assistant.content).to.deep.equal([{ type: 'text', text: 'Hello world' }])
    expect(user).to.deep.include({ id, type: 'user', text: 'say hi' })

    const session = await h.call('GET', `/api/session/${sessionID}`)
    expectMatches21('GET', '/api/session/{sessionID}', 200, session.body)
    expect(session.body.data).to.deep.include({ outcome: 'succeeded' })
    expect(session.body.data.time.idle).to.equal(idle.time.created)

    await events.next((frame) => frame.data?.type === 'session.execution.succeeded')
    const seen = types(events, sessionID)
    expect(seen).to.include.members([
      'session.inbox.enqueued',
      'session.execution.started',
      'session.inbox.delivered',
      'session.step.started',
      'session.text.started',
      'session.text.delta',
      'session.text.ended',
      'session.step.ended',
      'session.usage.updated',
      'session.execution.succeeded',
    ])
    expect(seen.indexOf('session.execution.started')).to.be.lessThan(seen.indexOf('session.step.started'))
    expect(seen.at(-1)).to.equal('session.execution.succeeded')
    // 1.18's and v1's names stay off 2.1's stream.
    expect(seen.filter((type) => type.startsWith('session.next.') || type.startsWith('message.'))).to.deep.equal([])
    const frames = events.frames.map((frame) => frame.data).filter((data) => data?.data?.sessionID === sessionID)
    const textEnded = frames.find((data) => data.type === 'session.text.ended')
    expect(textEnded.data).to.deep.include({ ordinal: 0, text: 'Hello world' })
    expect(textEnded.created).to.be.a('number')
    expect(textEnded.durable).to.include({ aggregateID: sessionID })
    const created = frames.find((data) => data.type === 'session.created')
    expect(created.data).to.deep.include({ sessionID, location: { directory: session.body.data.location.directory } })
    expect(created.data.slug).to.be.a('string')
    const started = frames.find((data) => data.type === 'session.execution.started')
    expect(started).to.not.have.property('location')
    expect(started.durable).to.include({ aggregateID: sessionID })
    events.close()
  })

  it("keeps 2.1's own events off the v1 stream, which still tells the run in v1 events", async () => {
    const v1 = await openSse(`${base}/event?directory=${encodeURIComponent(h.repo)}`)
    await v1.next((frame) => frame.data?.type === 'server.connected')
    const sessionID = await create()
    h.llm.script({ text: 'v1 sees this' })
    await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'hello' })
    await wait(sessionID)
    await v1.next((frame) => frame.data?.type === 'session.idle' && frame.data.properties.sessionID === sessionID)
    const seen = v1.frames.flatMap((frame) => (typeof frame.data?.type === 'string' ? [frame.data.type as string] : []))
    expect(seen).to.include.members(['session.created', 'message.updated', 'message.part.updated', 'session.status'])
    expect(seen.filter((type) => /^session\.(execution|inbox|usage|renamed)/.test(type))).to.deep.equal([])
    v1.close()
  })

  it('re-posting a delivered prompt id answers the original item and starts no run', async () => {
    const sessionID = await create()
    h.llm.script({ text: 'first' })
    const id = 'msg_2521be5a20010AzaZ2g5NBNgRz'
    await h.call('POST', `/api/session/${sessionID}/prompt`, { id, text: 'one' })
    await wait(sessionID)
    const before = h.llm.requests.length
    const again = await h.call('POST', `/api/session/${sessionID}/prompt`, { id, text: 'changed', delivery: 'queue' })
    expect(again.status).to.equal(200)
    expect(again.body.data.payload.text).to.equal('one')
    expect(again.body.data.delivery).to.equal('queue')
    await wait(sessionID)
    const messages = await h.call('GET', `/api/session/${sessionID}/message?type=idle`)
    expect(messages.body.data).to.have.length(1)
    expect(h.llm.requests.length).to.equal(before)

    const other = await create()
    const conflict = await h.call('POST', `/api/session/${other}/prompt`, { id, text: 'one' })
    expect(conflict.status).to.equal(409)
    expect(conflict.body).to.deep.include({ _tag: 'ConflictError', resource: id })
  })

  it('inlines project files at admission and refuses files it cannot read or that are outside', async () => {
    const sessionID = await create()
    h.llm.script({ text: 'ok' })
    const uri = `file://${join(h.repo, 'a.txt')}`
    const prompt = await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'look', files: [{ uri }] })
    expect(prompt.status, JSON.stringify(prompt.body)).to.equal(200)
    expectMatches21('POST', '/api/session/{sessionID}/prompt', 200, prompt.body)
    expect(prompt.body.data.payload.files[0]).to.deep.include({
      data: Buffer.from('hello world\n').toString('base64'),
      mime: 'text/plain',
      source: { type: 'uri', uri },
      name: 'a.txt',
    })
    await wait(sessionID)
    const missing = await h.call('POST', `/api/session/${sessionID}/prompt`, {
      text: 'x',
      files: [{ uri: `file://${join(h.repo, 'nope.txt')}` }],
    })
    expect(missing.status).to.equal(400)
    expect(missing.body._tag).to.equal('InvalidRequestError')
    const outside = await h.call('POST', `/api/session/${sessionID}/prompt`, {
      text: 'x',
      files: [{ uri: 'file:///etc/passwd' }],
    })
    expect(outside.status).to.equal(400)
    const bad = await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'x', files: [{ uri: 'ftp://x/y' }] })
    expect(bad.status).to.equal(400)
    expect(bad.body.message).to.match(/Invalid attachment URI/)
    const inbox = await h.call('GET', `/api/session/${sessionID}/inbox`)
    expect(inbox.body.data).to.deep.equal([])
  })

  it('rejects bad prompts and unknown sessions precisely', async () => {
    const sessionID = await create()
    const noText = await h.call('POST', `/api/session/${sessionID}/prompt`, { files: [] })
    expect(noText.status).to.equal(400)
    expect(noText.body).to.deep.include({ _tag: 'InvalidRequestError' })
    const badID = await h.call('POST', `/api/session/${sessionID}/prompt`, { id: 'nope', text: 'x' })
    expect(badID.status).to.equal(400)
    const badDelivery = await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'x', delivery: 'later' })
    expect(badDelivery.status).to.equal(400)
    const unknown = await h.call('POST', '/api/session/ses_nope/prompt', { text: 'x' })
    expect(unknown.status).to.equal(404)
    expectMatches21('POST', '/api/session/{sessionID}/prompt', 404, unknown.body)
    const waitUnknown = await h.call('POST', '/api/experimental/session/ses_nope/wait')
    expect(waitUnknown.status).to.equal(404)
    const messages = await h.call('GET', `/api/session/${sessionID}/message`)
    expect(messages.body.data).to.deep.equal([])
    expect(messages.body.cursor).to.deep.equal({ previous: null, next: null })
  })

  it('queues a prompt with resume:false in the inbox, delivers it with the next one, and cancels on DELETE', async () => {
    const sessionID = await create()
    const parked = await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'later', resume: false })
    expect(parked.status).to.equal(200)
    const cancelled = await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'never', resume: false })
    let inbox = await h.call('GET', `/api/session/${sessionID}/inbox`)
    expectMatches21('GET', '/api/session/{sessionID}/inbox', 200, inbox.body)
    expect(inbox.body.data.map((item: any) => item.payload.text)).to.deep.equal(['later', 'never'])

    const gone = await h.call('DELETE', `/api/session/${sessionID}/inbox/${cancelled.body.data.id}`)
    expect(gone.status).to.equal(204)
    expect((await h.call('DELETE', `/api/session/${sessionID}/inbox/msg_unknown`)).status).to.equal(204)
    const notPending = await h.call('PATCH', `/api/session/${sessionID}/inbox/${cancelled.body.data.id}`, {
      delivery: 'steer',
    })
    expect(notPending.status).to.equal(409)
    const badDelivery = await h.call('PATCH', `/api/session/${sessionID}/inbox/${parked.body.data.id}`, {
      delivery: 'x',
    })
    expect(badDelivery.status).to.equal(400)

    h.llm.script({ text: 'both' })
    await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'now' })
    await wait(sessionID)
    inbox = await h.call('GET', `/api/session/${sessionID}/inbox`)
    expect(inbox.body.data).to.deep.equal([])
    const users = await h.call('GET', `/api/session/${sessionID}/message?type=user&order=asc`)
    expect(users.body.data.map((message: any) => message.text)).to.deep.equal(['later', 'now'])
  })

  it('PATCH to steer wakes an idle session for a parked input', async () => {
    const sessionID = await create()
    const parked = await h.call('POST', `/api/session/${sessionID}/prompt`, {
      text: 'wake',
      resume: false,
      delivery: 'queue',
    })
    h.llm.script({ text: 'awake' })
    const patched = await h.call('PATCH', `/api/session/${sessionID}/inbox/${parked.body.data.id}`, {
      delivery: 'steer',
    })
    expect(patched.status).to.equal(204)
    await until(() => h.llm.requests.some((request) => JSON.stringify(request.body).includes('wake')))
    await wait(sessionID)
    const message = await h.call('GET', `/api/session/${sessionID}/message/${parked.body.data.id}`)
    expect(message.status).to.equal(200)
    expectMatches21('GET', '/api/session/{sessionID}/message/{messageID}', 200, message.body)
    expect(message.body.data).to.deep.include({ type: 'user', text: 'wake' })
  })

  it('interrupts a run: {interrupted}, execution.interrupted and an interrupted idle', async () => {
    const sessionID = await create()
    h.llm.script({ text: ['slow ', 'answer'], delayMs: 2000 })
    await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'take your time' })
    await until(() => h.llm.requests.length > 0)
    const interrupted = await h.call('POST', `/api/session/${sessionID}/interrupt`)
    expect(interrupted.status).to.equal(200)
    expectMatches21('POST', '/api/session/{sessionID}/interrupt', 200, interrupted.body)
    expect(interrupted.body).to.deep.equal({ interrupted: true })
    const idle = await h.call('POST', `/api/session/${sessionID}/interrupt`)
    expect(idle.body).to.deep.equal({ interrupted: false })
    const session = await h.call('GET', `/api/session/${sessionID}`)
    expect(session.body.data.outcome).to.equal('interrupted')
    expect(h.events.some((event) => event.type === 'session.execution.interrupted')).to.equal(true)
  })

  it('a failed run ends with execution.failed and a failed idle', async () => {
    const sessionID = await create()
    h.llm.script({ error: 'bad request', status: 400 })
    await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'fail please' })
    await until(() => h.llm.requests.length > 0)
    await wait(sessionID)
    const idle = await h.call('GET', `/api/session/${sessionID}/message?type=idle`)
    expect(idle.body.data[0]).to.deep.include({ type: 'idle', outcome: 'failed' })
    expect(idle.body.data[0].error.message).to.be.a('string')
  })

  it('lists sessions in 2.1 shape: large limits capped, parentID=null for roots, unknown ids 404', async () => {
    const parent = await create()
    const child = await create({ parentID: parent, title: 'child' })
    const list = await h.call('GET', '/api/session?limit=5000')
    expect(list.status).to.equal(200)
    expectMatches21('GET', '/api/session', 200, list.body)
    const roots = await h.call('GET', '/api/session?parentID=null&limit=5000')
    expect(roots.body.data.map((session: any) => session.id))
      .to.include(parent)
      .and.not.include(child)
    const children = await h.call('GET', `/api/session?parentID=${parent}`)
    expect(children.body.data.map((session: any) => session.id)).to.deep.equal([child])
    const page = await h.call('GET', '/api/session?limit=1')
    expect(page.body.data).to.have.length(1)
    const next = await h.call('GET', `/api/session?cursor=${page.body.cursor.next}`)
    expect(next.body.data[0].id).to.not.equal(page.body.data[0].id)
    const relative = await h.call('POST', '/api/session', { location: { directory: 'rel/dir' } })
    expect(relative.status).to.equal(400)
    expect(relative.body._tag).to.equal('InvalidRequestError')
    const noBody = await h.call('POST', '/api/session')
    expect(noBody.status).to.equal(400)
    expect(noBody.body._tag).to.equal('InvalidRequestError')
    // Unknown keys are dropped, as 2.1 does.
    const unknownKey = await h.call('POST', '/api/session', { nope: true })
    expect(unknownKey.status).to.equal(200)
    expect(unknownKey.body.data).to.not.have.property('nope')
    const noParent = await h.call('POST', '/api/session', { parentID: 'ses_nope' })
    expect(noParent.status).to.equal(404)
    const missing = await h.call('GET', '/api/session/ses_nope')
    expect(missing.status).to.equal(404)
    expectMatches21('GET', '/api/session/{sessionID}', 404, missing.body)
    const same = await h.call('POST', '/api/session', { id: parent, title: 'ignored' })
    expect(same.body.data.id).to.equal(parent)
    expect((await h.call('GET', '/api/session/active')).body.data).to.deep.equal({})
    const unknownMessage = await h.call('GET', `/api/session/${parent}/message/msg_nope`)
    expect(unknownMessage.status).to.equal(404)
    expectMatches21('GET', '/api/session/{sessionID}/message/{messageID}', 404, unknownMessage.body)
    const both = await h.call('GET', `/api/session/${parent}/message?cursor=${page.body.cursor.next}&order=asc`)
    expect(both.status).to.equal(400)
  })

  it('a written file keeps a prompt readable from the 2.1 context', async () => {
    writeFileSync(join(h.repo, 'b.txt'), 'bee\n')
    const sessionID = await create()
    h.llm.script({ text: 'seen' })
    await h.call('POST', `/api/session/${sessionID}/prompt`, {
      text: 'see',
      files: [{ uri: `file://${join(h.repo, 'b.txt')}` }],
    })
    await wait(sessionID)
    const context = await h.call('GET', `/api/session/${sessionID}/context`)
    expectMatches21('GET', '/api/session/{sessionID}/context', 200, context.body)
    expect(context.body.data.map((message: any) => message.type)).to.deep.equal(['user', 'assistant'])
    expect(JSON.stringify(h.llm.requests.at(-1)!.body)).to.include('bee')
  })
})
