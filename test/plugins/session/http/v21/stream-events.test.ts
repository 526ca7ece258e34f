// OpenCode 2.1's events of a step's stream on `GET /api/event`: `session.step.streamed` when the
// provider's stream has ended, `session.tool.progress` when a running tool's metadata changes,
// `session.retry.scheduled` when a failed model call is tried again, in 2.1.2's order.
import { expect } from 'chai'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../../../../kernel/core/version.js'
import { providerError } from '../../../../../plugins/session/http/v21/provider-error.js'
import { cleanup, listen, openSse, type SseConnection } from '../../../../support/helper.js'
import { sessionHarness, type SessionHarness } from '../../../../support/session.js'

const PROGRESS_TOOL = join(PACKAGE_ROOT, 'dist/test/fixtures/tools/progress-tool.js')
/** Events the ordering checks leave out: live deltas, totals, titles, inbox and run boundaries. */
const NOISE = /\.delta$|usage\.updated|renamed|inbox\.|execution\.|session\.created/

type Envelope = { id: string; created: number; type: string; data: any; durable?: any; location?: any }

describe('session: OpenCode 2.1 stream events on /api/event', () => {
  let h: SessionHarness
  let base: string
  before(async () => {
    h = await sessionHarness({ extraPlugins: ['sync'], plugins: [PROGRESS_TOOL] })
    base = await listen(h.server)
  })
  after(cleanup)

  /** Runs one prompt with `turns` scripted; answers the session's 2.1 envelopes in order. */
  const run = async (...turns: Parameters<SessionHarness['llm']['script']>): Promise<Envelope[]> => {
    const events = await openSse(`${base}/api/event`)
    await events.next((frame) => frame.data?.type === 'server.connected')
    const created = await h.call('POST', '/api/session', { location: { directory: h.repo } })
    const sessionID = created.body.data.id as string
    h.llm.script(...turns)
    await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'go' })
    const ended = (frame: SseConnection['frames'][number]) =>
      frame.data?.data?.sessionID === sessionID && /^session\.execution\.(succeeded|failed)$/.test(frame.data.type)
    await events.next(ended, 15_000)
    events.close()
    return events.frames.map((frame) => frame.data).filter((data) => data?.data?.sessionID === sessionID)
  }
  const typesOf = (envelopes: Envelope[]) => envelopes.map((e) => e.type).filter((type) => !NOISE.test(type))
  const index = (envelopes: Envelope[], type: string, from = 0) =>
    envelopes.findIndex((e, i) => i >= from && e.type === type)

  it('says a step has streamed after its text and tool input, before its tool runs', async () => {
    const command = 'for i in 1 2 3; do echo line$i; sleep 0.3; done'
    const envelopes = await run(
      { text: 'Running', toolCalls: [{ name: 'bash', args: { command, description: 'count' } }] },
      { text: 'done' },
    )
    const types = typesOf(envelopes)
    const first = types.slice(0, types.indexOf('session.step.ended') + 1)
    // The text's end and the call's input come from the provider's last chunks, in its order.
    expect(first.slice(0, 3)).to.deep.equal([
      'session.step.started',
      'session.text.started',
      'session.tool.input.started',
    ])
    expect(first.slice(3, 6)).to.have.members(['session.text.ended', 'session.tool.input.ended', 'session.tool.called'])
    expect(first.slice(6, 7)).to.deep.equal(['session.step.streamed'])
    expect(first.slice(-2)).to.deep.equal(['session.tool.success', 'session.step.ended'])
    expect(first.slice(7, -2)).to.satisfy((rest: string[]) => rest.every((type) => type === 'session.tool.progress'))
    const second = types.slice(first.length)
    expect(second).to.deep.equal([
      'session.step.started',
      'session.text.started',
      'session.text.ended',
      'session.step.streamed',
      'session.step.ended',
    ])

    const streamed = envelopes.filter((e) => e.type === 'session.step.streamed')
    const steps = envelopes.filter((e) => e.type === 'session.step.started').map((e) => e.data.assistantMessageID)
    expect(streamed.map((e) => e.data)).to.deep.equal(
      steps.map((assistantMessageID) => ({ sessionID: envelopes[0]!.data.sessionID, assistantMessageID })),
    )
    for (const envelope of streamed) {
      expect(envelope.location).to.deep.equal({ directory: h.repo })
      expect(envelope.durable).to.include({ aggregateID: envelope.data.sessionID, version: 1 })
    }
    // Durable: logged after the called tool, before the tool's success.
    const seq = (type: string) => envelopes[index(envelopes, type)]!.durable.seq as number
    expect(seq('session.step.streamed')).to.be.greaterThan(seq('session.tool.called'))
    expect(seq('session.tool.success')).to.be.greaterThan(seq('session.step.streamed'))
  })

  it("reports a running tool's progress once per metadata change, without durable seq", async () => {
    const command = 'for i in 1 2 3; do echo line$i; sleep 0.3; done'
    const envelopes = await run(
      { toolCalls: [{ name: 'bash', args: { command, description: 'count' } }] },
      { text: 'ok' },
    )
    const progress = envelopes.filter((e) => e.type === 'session.tool.progress')
    expect(progress.length).to.be.within(1, 3)
    for (const envelope of progress) {
      expect(envelope).to.not.have.property('durable')
      expect(envelope.location).to.deep.equal({ directory: h.repo })
      expect(Object.keys(envelope.data)).to.deep.equal(['sessionID', 'assistantMessageID', 'id', 'metadata'])
      expect(envelope.data).to.deep.include({ id: 'call_1' })
      expect(envelope.data.metadata).to.deep.include({ description: 'count' })
      expect(envelope.data.metadata.output).to.match(/^line1\n/)
    }
    // Each report says something new: the output so far grows.
    const outputs = progress.map((e) => e.data.metadata.output as string)
    expect(new Set(outputs).size).to.equal(outputs.length)
    expect(outputs.at(-1)).to.equal('line1\nline2\nline3\n')
    const streamedAt = index(envelopes, 'session.step.streamed')
    expect(index(envelopes, 'session.tool.progress')).to.be.greaterThan(streamedAt)
    expect(index(envelopes, 'session.tool.success')).to.be.greaterThan(envelopes.lastIndexOf(progress.at(-1)!))
  })

  it('leaves out reports that change nothing or only the title', async () => {
    const envelopes = await run({ toolCalls: [{ name: 'progress', args: {} }] }, { text: 'ok' })
    const progress = envelopes.filter((e) => e.type === 'session.tool.progress')
    expect(progress.map((e) => e.data.metadata)).to.deep.equal([{ step: 1 }, { step: 2 }])
    const success = envelopes.find((e) => e.type === 'session.tool.success')!
    expect(success.data.metadata).to.deep.equal({ step: 2 })
  })

  it('schedules a retry after a retryable provider error, then starts the step again', async () => {
    const envelopes = await run(
      { status: 500, error: 'boom', headers: { 'retry-after-ms': '50' } },
      { status: 429, error: 'slow down', headers: { 'retry-after-ms': '100' } },
      { text: 'ok' },
    )
    expect(typesOf(envelopes)).to.deep.equal([
      'session.step.started',
      'session.retry.scheduled',
      'session.step.started',
      'session.retry.scheduled',
      'session.step.started',
      'session.text.started',
      'session.text.ended',
      'session.step.streamed',
      'session.step.ended',
    ])
    const started = envelopes.filter((e) => e.type === 'session.step.started')
    const messageID = started[0]!.data.assistantMessageID
    // The same assistant message throughout: a retried call produced nothing.
    expect(started.map((e) => e.data.assistantMessageID)).to.deep.equal([messageID, messageID, messageID])
    const [first, second] = envelopes.filter((e) => e.type === 'session.retry.scheduled')
    expect(first!.data).to.deep.include({ assistantMessageID: messageID, attempt: 2 })
    expect(first!.data.error).to.deep.include({
      type: 'provider.internal',
      message: 'boom',
      status: 500,
      retryAfterMs: 50,
    })
    expect(JSON.parse(first!.data.error.response.body).error.message).to.equal('boom')
    expect(second!.data).to.deep.include({ attempt: 3 })
    expect(second!.data.error).to.deep.include({ type: 'provider.rate-limit', message: 'slow down', status: 429 })
    // `at`: when the next attempt starts; that step starts then, not before.
    expect(first!.data.at - first!.created).to.be.within(0, 50)
    // (A timer may fire a millisecond early by the wall clock.)
    expect(started[1]!.data.started).to.be.at.least(first!.data.at - 2)
    expect(second!.data.at - second!.created).to.be.within(51, 100)
    for (const envelope of [first!, second!]) {
      expect(Object.keys(envelope.data)).to.deep.equal(['sessionID', 'assistantMessageID', 'attempt', 'at', 'error'])
      expect(envelope.location).to.deep.equal({ directory: h.repo })
      expect(envelope.durable).to.include({ aggregateID: envelope.data.sessionID, version: 1 })
    }
    expect(second!.durable.seq).to.be.greaterThan(first!.durable.seq)
  })

  it("keeps 2.1's stream events off the v1 stream", async () => {
    const v1 = await openSse(`${base}/event?directory=${encodeURIComponent(h.repo)}`)
    await v1.next((frame) => frame.data?.type === 'server.connected')
    await run(
      { status: 503, headers: { 'retry-after-ms': '10' } },
      { toolCalls: [{ name: 'progress', args: {} }] },
      { text: 'ok' },
    )
    const seen = v1.frames.map((frame) => frame.data?.type as string)
    expect(seen).to.include.members(['message.part.updated', 'session.status'])
    expect(seen.filter((type) => /step\.streamed|tool\.progress|retry\.scheduled/.test(type))).to.deep.equal([])
    v1.close()
  })
})

describe('providerError: a failed model call as 2.1 describes it', () => {
  it('names a network failure provider.transport, without status', () => {
    const error = Object.assign(new Error('Cannot connect to API: connect ECONNREFUSED'), { isRetryable: true })
    expect(providerError(error)).to.deep.equal({
      type: 'provider.transport',
      message: 'Cannot connect to API: connect ECONNREFUSED',
    })
  })

  it('reads the status, the body and the wait the provider asked for', () => {
    const error = Object.assign(new Error('overloaded'), {
      statusCode: 503,
      responseBody: 'x'.repeat(20_000),
      responseHeaders: { 'retry-after': '2' },
    })
    const described = providerError(error)
    expect(described).to.deep.include({
      type: 'provider.internal',
      message: 'overloaded',
      status: 503,
      retryAfterMs: 2000,
    })
    expect(described.response!.body).to.have.length(10_000)
    expect(providerError({ statusCode: 400, message: 'bad' })).to.deep.equal({
      type: 'provider.invalid-request',
      message: 'bad',
      status: 400,
    })
    expect(providerError('odd')).to.deep.equal({ type: 'provider.transport', message: 'odd' })
  })
})
