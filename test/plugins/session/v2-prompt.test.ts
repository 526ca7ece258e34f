// The v2 prompt model (`POST /api/session/:id/prompt` and friends) on the one loop v1 uses.
import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { cleanup, listen, openSse, type SseConnection } from '../../support/helper.js'
import { expectMatchesReference } from '../../support/openapi.js'
import { sessionHarness, until, type SessionHarness } from '../../support/session.js'

/** The text of the last user message the model was sent. */
function lastUserText(h: SessionHarness, request: number): string {
  const messages = h.llm.requests[request]!.body.messages.filter((message) => message.role === 'user')
  return JSON.stringify(messages.at(-1)?.content)
}

const types = (stream: SseConnection) =>
  stream.frames.flatMap((frame) => (frame.data?.type ? [frame.data.type as string] : []))

describe('session: v2 prompt model', () => {
  let h: SessionHarness
  let base: string
  let client: ReturnType<typeof createOpencodeClient>
  before(async () => {
    h = await sessionHarness({ files: { 'a.txt': 'one\n' }, extraPlugins: ['sync'] })
    base = await listen(h.server)
    client = createOpencodeClient({ baseUrl: base })
  })
  after(cleanup)

  /** `wait` through the official client; `data` is what the server answered. */
  const wait = async (sessionID: string) =>
    (await client.v2.session.wait({ sessionID }, {
      throwOnError: true,
      query: { timeout: 10_000 },
    } as never)) as unknown as { data: any; response: Response }
  const newSession = async () =>
    (await client.v2.session.create({ location: { directory: h.repo } }, { throwOnError: true })).data!.data.id

  it('admits a prompt at once, runs the turn with its tool call, and tells it on both streams and v1', async () => {
    const sessionID = await newSession()
    const sessionStream = await openSse(`${base}/api/session/${sessionID}/event`)
    const serverStream = await openSse(`${base}/api/event`)
    await serverStream.next((frame) => frame.data?.type === 'server.connected')
    h.llm.script(
      { toolCalls: [{ name: 'read', args: { filePath: 'a.txt' } }], delayMs: 20 },
      { text: ['It ', 'says one.'], delayMs: 20 },
    )

    const receipt = (
      await client.v2.session.prompt({ sessionID, prompt: { text: 'What is in a.txt?' } }, { throwOnError: true })
    ).data!
    expectMatchesReference('POST', '/api/session/{sessionID}/prompt', 200, receipt)
    expect(receipt.data).to.deep.include({ sessionID, delivery: 'steer', prompt: { text: 'What is in a.txt?' } })
    expect(receipt.data.id).to.match(/^msg_/)
    // Answered before the model has finished.
    expect(h.llm.requests.length).to.be.lessThan(2)

    const waited = await wait(sessionID)
    expect(waited.response.status).to.equal(200)
    expect(waited.data.data.idle).to.equal(true)
    expect(waited.data.data.message).to.deep.include({ type: 'assistant', finish: 'stop' })
    expect(waited.data.data.message.content.at(-1)).to.deep.include({ type: 'text', text: 'It says one.' })

    await sessionStream.next(
      (frame) => frame.data?.type === 'session.next.step.ended' && frame.data.data.finish === 'stop',
      5000,
    )
    await serverStream.next(
      (frame) => frame.data?.type === 'session.execution.succeeded' && frame.data.data.sessionID === sessionID,
      5000,
    )
    const expected = [
      'session.next.prompt.admitted',
      'session.next.prompted',
      'session.next.step.started',
      'session.next.tool.input.started',
      'session.next.tool.input.ended',
      'session.next.tool.called',
      'session.next.tool.success',
      'session.next.step.ended',
      'session.next.step.started',
      'session.next.text.started',
      'session.next.text.ended',
      'session.next.step.ended',
    ]
    expect(types(sessionStream)).to.deep.equal(expected)
    const durable = sessionStream.frames.filter((frame) => frame.data?.durable)
    // Per-session seqs, increasing; the receipt names the admission's.
    expect(durable[0]!.data.durable.seq).to.equal(receipt.data.admittedSeq)
    for (let i = 1; i < durable.length; i++)
      expect(durable[i]!.data.durable.seq).to.be.greaterThan(durable[i - 1]!.data.durable.seq)
    expect(durable.find((frame) => frame.data.type === 'session.next.prompted')!.data.data.messageID).to.equal(
      receipt.data.id,
    )

    // The server stream (OpenCode 2.1's, canonical on /api/event) tells the same run in 2.1's names,
    // with the live deltas by ordinal.
    const serverTypes = types(serverStream).filter(
      (type) => type.startsWith('session.') && !/\.delta$|usage\.updated|renamed/.test(type),
    )
    expect(serverTypes).to.deep.equal([
      'session.inbox.enqueued',
      'session.execution.started',
      'session.inbox.delivered',
      'session.step.started',
      'session.tool.input.started',
      'session.tool.input.ended',
      'session.tool.called',
      'session.step.streamed',
      'session.tool.success',
      'session.step.ended',
      'session.step.started',
      'session.text.started',
      'session.text.ended',
      'session.step.streamed',
      'session.step.ended',
      'session.execution.succeeded',
    ])
    const deltas = serverStream.frames.filter(
      (frame) => frame.data?.type === 'session.text.delta' && frame.data.data.sessionID === sessionID,
    )
    expect(deltas.map((frame) => frame.data.data.delta).join('')).to.equal('It says one.')
    expect(deltas[0]!.data.data.ordinal).to.equal(0)
    const ended = serverStream.frames.find((frame) => frame.data?.type === 'session.text.ended')!
    expect(ended.data.location.directory).to.be.a('string')
    expect(ended.data.data.text).to.equal('It says one.')

    // The same turn through v1.
    const v1 = (await h.call('GET', `/session/${sessionID}/message`)).body
    expect(v1.map((message: any) => message.info.role)).to.deep.equal(['user', 'assistant', 'assistant'])
    expect(v1[0].info.id).to.equal(receipt.data.id)
    expect(v1[2].parts.find((part: any) => part.type === 'text').text).to.equal('It says one.')

    // History pages the same durable events.
    const history = (await client.v2.session.history({ sessionID, limit: 3 }, { throwOnError: true })).data!
    expectMatchesReference('GET', '/api/session/{sessionID}/history', 200, history)
    expect(history.data.map((event: any) => event.type)).to.deep.equal(expected.slice(0, 3))
    expect(history.hasMore).to.equal(true)
    const rest = (
      await client.v2.session.history(
        { sessionID, after: (history.data.at(-1) as any).durable.seq },
        { throwOnError: true },
      )
    ).data!
    expect(rest.data.map((event: any) => event.type)).to.deep.equal(expected.slice(3))
    expect(rest.hasMore).to.equal(false)
  })

  it('replays the session stream after a seq, then goes on live', async () => {
    const sessionID = await newSession()
    // The official client's SSE readers, on both streams.
    const controller = new AbortController()
    const sdkSession = await client.v2.session.events({ sessionID }, { signal: controller.signal })
    const sdkServer = await client.v2.event.subscribe({ signal: controller.signal })
    const read = async (stream: AsyncIterator<unknown>, until: (event: any) => boolean, seen: any[] = []) => {
      for (let next = await stream.next(); !next.done; next = await stream.next()) {
        seen.push(next.value)
        if (until(next.value)) break
      }
      return seen
    }
    const serverEvents = (sdkServer.stream as AsyncGenerator<unknown>)[Symbol.asyncIterator]()
    // Connected once the first frame is in.
    const connected = await read(serverEvents, () => true)
    expect(connected[0].type).to.equal('server.connected')
    h.llm.script({ text: 'First.' })
    const first = (await client.v2.session.prompt({ sessionID, prompt: { text: 'one' } }, { throwOnError: true })).data!
      .data
    const isEnd = (event: any) => event?.type === 'session.next.step.ended' && event.data?.sessionID === sessionID
    const fromSession = await read((sdkSession.stream as AsyncGenerator<unknown>)[Symbol.asyncIterator](), isEnd)
    expect(fromSession.map((event) => event.type)).to.deep.equal([
      'session.next.prompt.admitted',
      'session.next.prompted',
      'session.next.step.started',
      'session.next.text.started',
      'session.next.text.ended',
      'session.next.step.ended',
    ])
    // /api/event speaks OpenCode 2.1 (canonical there): the run ends with `session.execution.*`.
    const fromServer = await read(
      serverEvents,
      (event) => event?.type === 'session.execution.succeeded' && event.data?.sessionID === sessionID,
    )
    expect(
      fromServer
        .filter((event) => event.type === 'session.text.delta')
        .map((event) => event.data.delta)
        .join(''),
    ).to.equal('First.')
    controller.abort()
    await wait(sessionID)
    const replay = await openSse(`${base}/api/session/${sessionID}/event?after=${first.admittedSeq}`)
    await replay.next((frame) => frame.data?.type === 'session.next.step.ended')
    expect(types(replay)[0]).to.equal('session.next.prompted')
    h.llm.script({ text: 'Second.' })
    const second = (await client.v2.session.prompt({ sessionID, prompt: { text: 'two' } }, { throwOnError: true }))
      .data!.data
    await replay.next(
      (frame) => frame.data?.type === 'session.next.prompt.admitted' && frame.data.data.messageID === second.id,
    )
    await replay.next((frame) => frame.data?.type === 'session.next.text.ended' && frame.data.data.text === 'Second.')
    const seqs = replay.frames.flatMap((frame) => (frame.data?.durable ? [frame.data.durable.seq as number] : []))
    expect(new Set(seqs).size).to.equal(seqs.length)
    expect(seqs[0]).to.be.greaterThan(first.admittedSeq)
  })

  it('steers a prompt sent mid-stream into the next step, and queues one for a turn of its own', async () => {
    const sessionID = await newSession()
    h.llm.script(
      { toolCalls: [{ name: 'read', args: { filePath: 'a.txt' } }], delayMs: 150 },
      { text: 'Answer with the steer.' },
      { text: 'Answer to the queued one.' },
    )
    const before = h.llm.requests.length
    await client.v2.session.prompt({ sessionID, prompt: { text: 'Start.' } }, { throwOnError: true })
    await h.llm.untilRequests(before + 1)
    // Both arrive while the first step streams.
    const queued = (
      await client.v2.session.prompt(
        { sessionID, prompt: { text: 'Queued question.' }, delivery: 'queue' },
        { throwOnError: true },
      )
    ).data!.data
    const steer = (
      await client.v2.session.prompt({ sessionID, prompt: { text: 'Steer here.' } }, { throwOnError: true })
    ).data!.data
    expect(queued.promotedSeq).to.equal(undefined)
    await wait(sessionID)
    expect(h.llm.requests.length).to.equal(before + 3)
    expect(lastUserText(h, before)).to.contain('Start.')
    expect(JSON.stringify(h.llm.requests[before]!.body.messages)).not.to.contain('Steer here.')
    expect(lastUserText(h, before + 1)).to.contain('Steer here.')
    expect(JSON.stringify(h.llm.requests[before + 1]!.body.messages)).not.to.contain('Queued question.')
    expect(lastUserText(h, before + 2)).to.contain('Queued question.')

    const messages = (await client.v2.session.messages({ sessionID, order: 'asc' }, { throwOnError: true })).data!
      .data as any[]
    expect(messages.filter((message) => message.type === 'user').map((message) => message.text)).to.deep.equal([
      'Start.',
      'Steer here.',
      'Queued question.',
    ])
    const answers = messages.filter((message) => message.type === 'assistant')
    expect(answers.at(-1).content.at(-1).text).to.equal('Answer to the queued one.')
    // Re-posting answers the receipt, now with the seq where it joined; it does not run again.
    const again = (
      await client.v2.session.prompt(
        { sessionID, id: steer.id, prompt: { text: 'Steer here.' } },
        { throwOnError: true },
      )
    ).data!.data
    expect(again).to.deep.include({ id: steer.id, admittedSeq: steer.admittedSeq })
    expect(again.promotedSeq).to.be.a('number')
    await wait(sessionID)
    expect(h.llm.requests.length).to.equal(before + 3)
  })

  it('parks input with resume: false, keeps pending input through an interrupt, and refuses a reused id', async () => {
    const sessionID = await newSession()
    const parked = (
      await client.v2.session.prompt({ sessionID, prompt: { text: 'Parked.' }, resume: false }, { throwOnError: true })
    ).data!.data
    expect((await h.call('GET', `/session/${sessionID}/message`)).body).to.deep.equal([])
    expect((await h.call('GET', `/api/session/${sessionID}/context`)).body.data).to.deep.equal([])

    const conflict = await h.call('POST', `/api/session/${sessionID}/prompt`, {
      id: parked.id,
      prompt: { text: 'Something else.' },
    })
    expect(conflict.status).to.equal(409)
    expect(conflict.body).to.deep.equal({
      _tag: 'ConflictError',
      message: `Prompt message ID conflicts with an existing durable record: ${parked.id}`,
      resource: parked.id,
    })
    expectMatchesReference('POST', '/api/session/{sessionID}/prompt', 409, conflict.body)

    // A turn that hangs; a queued input arrives; the interrupt stops the turn and keeps it.
    const before = h.llm.requests.length
    h.llm.script({ text: ['Never '], hang: true })
    await client.v2.session.prompt({ sessionID, prompt: { text: 'Hang.' } }, { throwOnError: true })
    await h.llm.untilRequests(before + 1)
    expect(lastUserText(h, before)).to.contain('Hang.')
    expect(JSON.stringify(h.llm.requests[before]!.body.messages)).to.contain('Parked.')
    await client.v2.session.prompt(
      { sessionID, prompt: { text: 'Kept through the interrupt.' }, delivery: 'queue' },
      { throwOnError: true },
    )
    // OpenCode 2.1's answer (canonical on this path): whether a run was stopped.
    const interrupted = await client.v2.session.interrupt({ sessionID })
    expect(interrupted.response.status).to.equal(200)
    expect(interrupted.data).to.deep.equal({ interrupted: true })
    expect((await client.v2.session.active({ throwOnError: true })).data!.data[sessionID]).to.equal(undefined)
    const afterInterrupt = (await client.v2.session.messages({ sessionID, order: 'asc' }, { throwOnError: true })).data!
      .data as any[]
    expect(afterInterrupt.map((message) => message.text ?? message.finish ?? message.outcome)).to.deep.equal([
      'Parked.',
      'Hang.',
      'error',
      'interrupted',
    ])
    expect((await h.call('POST', `/api/session/${sessionID}/interrupt`)).body).to.deep.equal({ interrupted: false })

    // The next prompt resumes: the kept input runs first.
    h.llm.script({ text: 'Now the kept one.' }, { text: 'And the new one.' })
    await client.v2.session.prompt({ sessionID, prompt: { text: 'New.' }, delivery: 'queue' }, { throwOnError: true })
    await wait(sessionID)
    expect(lastUserText(h, before + 1)).to.contain('Kept through the interrupt.')
    expect(lastUserText(h, before + 2)).to.contain('New.')
  })

  it('switches agent and model (unknown ones are a 400) and compacts on request', async () => {
    const sessionID = await newSession()
    const events = await openSse(`${base}/api/session/${sessionID}/event`)
    expect((await client.v2.session.switchAgent({ sessionID, agent: 'plan' })).response.status).to.equal(204)
    expect(
      (await client.v2.session.switchModel({ sessionID, model: { id: 'test-model', providerID: 'scripted' } })).response
        .status,
    ).to.equal(204)
    await events.next((frame) => frame.data?.type === 'session.next.model.switched')
    expect(types(events)).to.deep.equal(['session.next.agent.switched', 'session.next.model.switched'])
    const info = (await client.v2.session.get({ sessionID }, { throwOnError: true })).data!.data
    expect(info).to.deep.include({ agent: 'plan', model: { id: 'test-model', providerID: 'scripted' } })

    const badAgent = await h.call('POST', `/api/session/${sessionID}/agent`, { agent: 'no-such-agent' })
    expect(badAgent.status).to.equal(400)
    expect(badAgent.body._tag).to.equal('InvalidRequestError')
    const badModel = await h.call('POST', `/api/session/${sessionID}/model`, {
      model: { id: 'nope', providerID: 'scripted' },
    })
    expect(badModel.status).to.equal(400)
    expect(badModel.body).to.deep.include({ _tag: 'InvalidRequestError', message: 'Model not found: scripted/nope' })

    h.llm.script({ text: 'Hello.' }, { text: 'The summary.' })
    await client.v2.session.prompt({ sessionID, prompt: { text: 'Hi.' } }, { throwOnError: true })
    await wait(sessionID)
    // OpenCode 2.1's answer (canonical on this path): the compaction's inbox item.
    const compact = await client.v2.session.compact({ sessionID })
    expect(compact.response.status).to.equal(200)
    expect((compact.data as any).data).to.deep.include({ type: 'compaction', sessionID, payload: {} })
    await wait(sessionID)
    const messages = (await client.v2.session.messages({ sessionID }, { throwOnError: true })).data!.data as any[]
    expect(messages.find((message) => message.type === 'compaction')).to.deep.include({
      type: 'compaction',
      summary: 'The summary.',
      reason: 'manual',
    })
    await events.next((frame) => frame.data?.type === 'session.next.compaction.ended')
  })

  it('answers bad input with tagged 4xx errors and changes nothing', async () => {
    const sessionID = await newSession()
    const missing = await h.call('POST', '/api/session/ses_nope/prompt', { prompt: { text: 'x' } })
    expect(missing.status).to.equal(404)
    expect(missing.body._tag).to.equal('SessionNotFoundError')
    for (const url of [
      '/api/session/ses_nope/wait',
      '/api/session/ses_nope/interrupt',
      '/api/session/ses_nope/compact',
    ]) {
      expect((await h.call('POST', url)).status, url).to.equal(404)
    }
    expect((await h.call('GET', '/api/session/ses_nope/history')).status).to.equal(404)
    expect((await h.call('GET', '/api/session/ses_nope/event')).status).to.equal(404)
    for (const body of [
      {},
      { prompt: {} },
      { prompt: { text: 1 } },
      { prompt: { text: 'x' }, delivery: 'later' },
      { prompt: { text: 'x' }, id: 'not-an-id' },
    ]) {
      const response = await h.call('POST', `/api/session/${sessionID}/prompt`, body)
      expect(response.status, JSON.stringify(body)).to.equal(400)
      expect(response.body._tag).to.equal('InvalidRequestError')
    }
    const outside = await h.call('POST', `/api/session/${sessionID}/prompt`, {
      prompt: { text: 'x', files: [{ uri: 'file:///etc/passwd' }] },
    })
    expect(outside.status).to.equal(400)
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'after=-1', 'after=1e3']) {
      const response = await h.call('GET', `/api/session/${sessionID}/history?${query}`)
      expect(response.status, query).to.equal(400)
      expectMatchesReference('GET', '/api/session/{sessionID}/history', 400, response.body)
    }
    expect((await h.call('GET', `/api/session/${sessionID}/event?after=x`)).status).to.equal(400)
    expect((await h.call('POST', `/api/session/${sessionID}/wait?timeout=-5`)).status).to.equal(400)
    // Nothing was admitted.
    expect((await client.v2.session.history({ sessionID }, { throwOnError: true })).data!.data).to.deep.equal([])
    await until(() => true)
  })
})
