// OpenCode 2.1's other inputs on `/api/session…`: synthetic text, agent and model switches (and
// their transcript messages), compaction's inbox item, background.
import { expect } from 'chai'
import { cleanup, listen, openSse } from '../../../../support/helper.js'
import { expectMatches21 } from '../../../../support/openapi.js'
import { sessionHarness, type SessionHarness } from '../../../../support/session.js'

describe('session: OpenCode 2.1 inputs', () => {
  let h: SessionHarness
  before(async () => {
    h = await sessionHarness()
  })
  after(cleanup)

  const create = async () => (await h.call('POST', '/api/session', { location: { directory: h.repo } })).body.data.id
  const wait = (sessionID: string) => h.call('POST', `/api/experimental/session/${sessionID}/wait`)

  it('admits synthetic input: the model reads it, the transcript shows a synthetic message', async () => {
    const sessionID = await create()
    h.llm.script({ text: 'noted' })
    const admitted = await h.call('POST', `/api/session/${sessionID}/synthetic`, {
      text: 'The build failed.',
      description: 'build report',
    })
    expect(admitted.status, JSON.stringify(admitted.body)).to.equal(200)
    expectMatches21('POST', '/api/session/{sessionID}/synthetic', 200, admitted.body)
    expect(admitted.body.data).to.deep.include({ type: 'synthetic', delivery: 'steer' })
    expect(admitted.body.data.payload).to.deep.equal({ text: 'The build failed.', description: 'build report' })
    await wait(sessionID)
    expect(JSON.stringify(h.llm.requests.at(-1)!.body.messages)).to.include('The build failed.')
    const message = await h.call('GET', `/api/session/${sessionID}/message/${admitted.body.data.id}`)
    expectMatches21('GET', '/api/session/{sessionID}/message/{messageID}', 200, message.body)
    expect(message.body.data).to.deep.include({
      type: 'synthetic',
      text: 'The build failed.',
      description: 'build report',
    })
    const bad = await h.call('POST', `/api/session/${sessionID}/synthetic`, { description: 'no text' })
    expect(bad.status).to.equal(400)
    expect((await h.call('POST', '/api/session/ses_nope/synthetic', { text: 'x' })).status).to.equal(404)
  })

  it('switches agent and model: 204, 2.1 events and switched messages with the previous value', async () => {
    const sessionID = await create()
    const agent = await h.call('POST', `/api/session/${sessionID}/agent`, { agent: 'plan' })
    expect(agent.status).to.equal(204)
    const model = await h.call('POST', `/api/session/${sessionID}/model`, {
      model: { id: 'test-model', providerID: 'scripted' },
    })
    expect(model.status).to.equal(204)
    const again = await h.call('POST', `/api/session/${sessionID}/agent`, { agent: 'build' })
    expect(again.status).to.equal(204)
    const messages = await h.call('GET', `/api/session/${sessionID}/message?order=asc`)
    expectMatches21('GET', '/api/session/{sessionID}/message', 200, messages.body)
    const [first, second, third] = messages.body.data
    expect(first).to.deep.include({ type: 'agent-switched', agent: 'plan' })
    expect(second).to.deep.include({ type: 'model-switched', model: { id: 'test-model', providerID: 'scripted' } })
    expect(third).to.deep.include({ type: 'agent-switched', agent: 'build', previous: 'plan' })
    const switched = await h.call('GET', `/api/session/${sessionID}/message?type=model-switched`)
    expect(switched.body.data).to.have.length(1)
    const unknown = await h.call('POST', `/api/session/${sessionID}/agent`, { agent: 'no-such-agent' })
    expect(unknown.status).to.equal(400)
    expect(unknown.body._tag).to.equal('InvalidRequestError')
    expect((await h.call('GET', `/api/session/${sessionID}/message`)).body.data).to.have.length(3)
  })

  it("names a switch's event after the entry it added (evt_X made msg_X), as 2.1 clients fetch it", async () => {
    const stream = await openSse(`${await listen(h.server)}/api/event`)
    const sessionID = await create()
    expect(
      (await h.call('POST', `/api/session/${sessionID}/model`, { model: { id: 'test-model', providerID: 'scripted' } }))
        .status,
    ).to.equal(204)
    const frame = await stream.next(
      (f) => f.data?.type === 'session.model.selected' && f.data.data.sessionID === sessionID,
    )
    const entry = await h.call('GET', `/api/session/${sessionID}/message/msg_${String(frame.data.id).slice(4)}`)
    expect(entry.status).to.equal(200)
    expect(entry.body.data).to.deep.include({ type: 'model-switched' })
  })

  it('answers compaction with its inbox item, and background with 204 (a no-op when idle)', async () => {
    const sessionID = await create()
    h.llm.script({ text: 'Hello.' }, { text: 'The summary.' })
    await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'Hi.' })
    await wait(sessionID)
    const compact = await h.call('POST', `/api/session/${sessionID}/compact`, { delivery: 'queue' })
    expect(compact.status, JSON.stringify(compact.body)).to.equal(200)
    expectMatches21('POST', '/api/session/{sessionID}/compact', 200, compact.body)
    expect(compact.body.data).to.deep.include({ type: 'compaction', payload: {}, delivery: 'queue' })
    await wait(sessionID)
    const messages = await h.call('GET', `/api/session/${sessionID}/message?type=compaction`)
    expect(messages.body.data[0]).to.deep.include({ status: 'completed', summary: 'The summary.', reason: 'manual' })
    expect((await h.call('POST', `/api/session/${sessionID}/compact`, { delivery: 'later' })).status).to.equal(400)

    const background = await h.call('POST', `/api/session/${sessionID}/background`)
    expect(background.status).to.equal(204)
    expect((await h.call('POST', '/api/session/ses_nope/background')).status).to.equal(404)
  })
})
