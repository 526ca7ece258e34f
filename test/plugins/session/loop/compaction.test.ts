import { expect } from 'chai'
import { cleanup } from '../../../support/helper.js'
import { sessionHarness } from '../../../support/session.js'

const textOf = (message: any) =>
  message.parts
    .filter((p: any) => p.type === 'text')
    .map((p: any) => p.text)
    .join('')
const contentText = (m: any) =>
  typeof m.content === 'string' ? m.content : (m.content ?? []).map((c: any) => c.text ?? '').join('')

/** A harness whose model has a small context (1,000 tokens, 100 of them for output). */
function smallContext(config: Record<string, unknown> = {}) {
  return sessionHarness({
    files: { 'a.txt': 'alpha\n' },
    config,
    testModel: { name: 'Small', limit: { context: 1000, output: 100 } },
  })
}

describe('plugin: session (summarize and compaction)', () => {
  afterEach(cleanup)

  it('summarizes on request; later model calls start from the summary', async () => {
    const h = await sessionHarness()
    h.llm.script({ text: 'First answer.' }, { text: 'SUMMARY: the user asked about alpha.' }, { text: 'Next answer.' })
    const session = await h.createSession()
    await h.prompt(session.id, 'Tell me about alpha')

    const response = await h.call('POST', `/session/${session.id}/summarize`, {
      providerID: 'scripted',
      modelID: 'test-model',
    })
    expect(response.status).to.equal(200)
    expect(response.body).to.equal(true)
    const summaryRequest = h.llm.requests[1]!
    expect(JSON.stringify(summaryRequest.body.messages[0])).to.contain('You compress a long conversation')
    expect(summaryRequest.body.tools ?? []).to.have.length(0)
    expect(summaryRequest.body.messages.map(contentText).join('\n'))
      .to.contain('Tell me about alpha')
      .and.contain('What did we do so far?')

    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(messages.map((m: any) => m.info.role)).to.deep.equal(['user', 'assistant', 'user', 'assistant'])
    expect(messages[2].parts[0]).to.include({ type: 'compaction', auto: false })
    expect(messages[3].info).to.include({
      summary: true,
      mode: 'compaction',
      agent: 'compaction',
      parentID: messages[2].info.id,
    })
    expect(textOf(messages[3])).to.equal('SUMMARY: the user asked about alpha.')
    expect(h.events.filter((e) => e.type === 'session.compacted').map((e) => e.properties)).to.deep.equal([
      { sessionID: session.id },
    ])

    await h.prompt(session.id, 'And then?')
    const next = h.llm.requests[2]!.body.messages.filter((m: any) => m.role !== 'system').map(contentText)
    expect(next).to.deep.equal(['What did we do so far?', 'SUMMARY: the user asked about alpha.', 'And then?'])
  })

  it('compacts automatically in the middle of a turn near the context limit, then continues', async () => {
    const h = await smallContext()
    h.llm.script(
      {
        toolCalls: [{ name: 'read', args: { filePath: 'a.txt' } }],
        usage: { prompt_tokens: 880, completion_tokens: 50 },
      },
      { text: 'SUMMARY: read a.txt, it says alpha.', usage: { prompt_tokens: 900, completion_tokens: 20 } },
      { text: 'Finished.', usage: { prompt_tokens: 100, completion_tokens: 5 } },
    )
    const session = await h.createSession()
    const reply = await h.prompt(session.id, 'Read a.txt and report')
    expect(reply.status).to.equal(200)
    expect(textOf(reply.body)).to.equal('Finished.')

    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(messages.map((m: any) => `${m.info.role}:${m.parts.map((p: any) => p.type).join(',')}`)).to.deep.equal([
      'user:text',
      'assistant:step-start,tool,step-finish',
      'user:compaction',
      'assistant:step-start,text,step-finish',
      'user:text',
      'assistant:step-start,text,step-finish',
    ])
    expect(messages[2].parts[0].auto).to.equal(true)
    expect(messages[3].info.summary).to.equal(true)
    expect(messages[4].parts[0]).to.include({ text: 'Continue if you have next steps', synthetic: true })
    expect(messages[5].info.parentID).to.equal(messages[4].info.id)
    expect(h.events.some((e) => e.type === 'session.compacted')).to.equal(true)

    const continued = h.llm.requests[2]!.body.messages.filter((m: any) => m.role !== 'system').map(contentText)
    expect(continued).to.deep.equal([
      'What did we do so far?',
      'SUMMARY: read a.txt, it says alpha.',
      'Continue if you have next steps',
    ])
  })

  it('compacts after a turn that ended near the limit; the reply is still the turn’s own', async () => {
    const h = await smallContext()
    h.llm.script(
      { text: 'Long answer.', usage: { prompt_tokens: 950, completion_tokens: 40 } },
      { text: 'SUMMARY: long answer given.' },
      { text: 'Short.' },
    )
    const session = await h.createSession()
    const reply = await h.prompt(session.id, 'Explain at length')
    expect(textOf(reply.body)).to.equal('Long answer.')
    expect(h.llm.requests).to.have.length(2)
    await h.prompt(session.id, 'Shorter please')
    const next = h.llm.requests[2]!.body.messages.filter((m: any) => m.role !== 'system').map(contentText)
    expect(next).to.deep.equal(['What did we do so far?', 'SUMMARY: long answer given.', 'Shorter please'])
  })

  it('does not compact with compaction.auto false, nor when the summary failed', async () => {
    const h = await smallContext({ compaction: { auto: false } })
    h.llm.script({ text: 'Long answer.', usage: { prompt_tokens: 990, completion_tokens: 5 } })
    const session = await h.createSession()
    await h.prompt(session.id, 'Explain')
    expect(h.llm.requests).to.have.length(1)

    h.llm.script({ status: 400, error: 'bad request' }, { text: 'Fine.' })
    expect(
      (await h.call('POST', `/session/${session.id}/summarize`, { providerID: 'scripted', modelID: 'test-model' }))
        .status,
    ).to.equal(200)
    expect(h.events.some((e) => e.type === 'session.compacted')).to.equal(false)
    await h.prompt(session.id, 'Again')
    // The failed summary is not a starting point: the whole history is sent.
    expect(h.llm.requests.at(-1)!.body.messages.map(contentText).join('\n')).to.contain('Explain')
  })

  it('rejects bad input', async () => {
    const h = await sessionHarness()
    const session = await h.createSession()
    expect((await h.call('POST', `/session/${session.id}/summarize`, { providerID: 'scripted' })).status).to.equal(400)
    expect(
      (await h.call('POST', `/session/${session.id}/summarize`, { providerID: 'scripted', modelID: 'nope' })).status,
    ).to.equal(400)
    expect(
      (
        await h.call('POST', `/session/${session.id}/summarize`, {
          providerID: 'scripted',
          modelID: 'test-model',
          auto: 'yes',
        })
      ).status,
    ).to.equal(400)
    expect(
      (await h.call('POST', '/session/ses_nope/summarize', { providerID: 'scripted', modelID: 'test-model' })).status,
    ).to.equal(404)
    expect((await h.call('GET', `/session/${session.id}/message`)).body).to.deep.equal([])
  })

  it('clears old tool output beyond the newest 40,000 tokens, outside the last two turns', async () => {
    const big = Array.from({ length: 2000 }, (_, i) => `line ${String(i).padStart(5, '0')} ${'x'.repeat(20)}`).join(
      '\n',
    )
    const files = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`big${i}.txt`, big]))
    const h = await sessionHarness({ files })
    h.llm.script(
      { toolCalls: Array.from({ length: 6 }, (_, i) => ({ name: 'read', args: { filePath: `big${i}.txt` } })) },
      { text: 'Read them.' },
      { text: 'Second.' },
      { text: 'Third.' },
      { text: 'Fourth.' },
    )
    const session = await h.createSession()
    await h.prompt(session.id, 'read all')
    await h.prompt(session.id, 'two')
    const tools = async () =>
      (await h.call('GET', `/session/${session.id}/message`)).body[1].parts.filter((p: any) => p.type === 'tool')
    expect((await tools()).filter((p: any) => p.state.time.compacted)).to.have.length(0)
    await h.prompt(session.id, 'three')
    const compacted = (await tools()).map((p: any) => p.state.time.compacted !== undefined)
    expect(compacted).to.deep.equal([true, true, true, false, false, false])
    await h.prompt(session.id, 'four')
    const sent = JSON.stringify(h.llm.requests.at(-1)!.body.messages)
    expect(sent.split('[Old tool result content cleared]').length - 1).to.equal(3)
  })

  it('keeps tool output with compaction.prune false', async () => {
    const big = Array.from({ length: 2000 }, (_, i) => `line ${String(i).padStart(5, '0')} ${'y'.repeat(20)}`).join(
      '\n',
    )
    const files = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`big${i}.txt`, big]))
    const h = await sessionHarness({ files, config: { compaction: { prune: false } } })
    h.llm.script(
      { toolCalls: Array.from({ length: 8 }, (_, i) => ({ name: 'read', args: { filePath: `big${i}.txt` } })) },
      { text: 'a' },
      { text: 'b' },
      { text: 'c' },
    )
    const session = await h.createSession()
    for (const text of ['one', 'two', 'three']) await h.prompt(session.id, text)
    const parts = (await h.call('GET', `/session/${session.id}/message`)).body[1].parts.filter(
      (p: any) => p.type === 'tool',
    )
    expect(parts.filter((p: any) => p.state.time.compacted)).to.have.length(0)
  })

  it('recovers from a context overflow: summarizes what fits, then continues', async () => {
    const h = await smallContext()
    h.llm.script({ text: 'Noted.' })
    const session = await h.createSession()
    await h.prompt(session.id, `OLD ${'a'.repeat(3000)}`)
    h.llm.script(
      {
        status: 400,
        error: "This model's maximum context length is 1000 tokens. However, your messages resulted in 1400 tokens.",
      },
      { text: 'SUMMARY: recent work.' },
      { text: 'Recovered.' },
    )
    const reply = await h.prompt(session.id, 'Now do the next thing')
    expect(reply.status).to.equal(200)
    expect(textOf(reply.body)).to.equal('Recovered.')
    expect(reply.body.info.error).to.equal(undefined)

    const summaryRequest = h.llm.requests.at(-2)!.body.messages.map(contentText).join('\n')
    expect(summaryRequest).to.contain('Now do the next thing')
    expect(summaryRequest).not.to.contain('OLD aaa') // the oldest turn did not fit
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(
      messages.map((m: any) => `${m.info.role}:${m.parts.map((p: any) => p.type).join(',')}`).slice(2),
    ).to.deep.equal([
      'user:text',
      'assistant:step-start',
      'user:compaction',
      'assistant:step-start,text,step-finish',
      'user:text',
      'assistant:step-start,text,step-finish',
    ])
    expect(messages[3].info.error.name).to.equal('APIError')
    expect(h.events.some((e) => e.type === 'session.compacted')).to.equal(true)
  })

  it('does not retry other API errors', async () => {
    const h = await sessionHarness()
    h.llm.script({ status: 400, error: 'invalid tool schema' })
    const session = await h.createSession()
    const reply = await h.prompt(session.id, 'hi')
    expect(reply.body.info.error.name).to.equal('APIError')
    expect(h.llm.requests).to.have.length(1)
    expect(h.events.some((e) => e.type === 'session.compacted')).to.equal(false)
  })
})
