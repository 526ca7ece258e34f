import { expect } from 'chai'
import { cleanup } from '../../../../support/helper.js'
import { sessionHarness, until } from '../../../../support/session.js'

describe('plugin: session (shell)', () => {
  afterEach(cleanup)

  it('runs a command as a bash tool part of a new assistant message, and the model sees it next turn', async () => {
    const h = await sessionHarness({ files: { 'a.txt': 'one\n' } })
    const session = await h.createSession()
    const response = await h.call('POST', `/session/${session.id}/shell`, {
      agent: 'build',
      command: 'cat a.txt; echo oops >&2; pwd',
    })
    expect(response.status).to.equal(200)
    const { info, parts } = response.body
    expect(info).to.include({ role: 'assistant', agent: 'build', providerID: 'scripted', modelID: 'test-model' })
    expect(info.time.completed).to.be.a('number')
    expect(parts).to.have.length(1)
    expect(parts[0]).to.include({ type: 'tool', tool: 'bash' })
    expect(parts[0].state.status).to.equal('completed')
    expect(parts[0].state.input).to.deep.equal({ command: 'cat a.txt; echo oops >&2; pwd', description: '' })
    expect(parts[0].state.output).to.contain('one\n').and.contain('oops').and.contain(h.repo)
    expect(parts[0].state.metadata.exit).to.equal(0)

    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(messages.map((m: any) => m.info.role)).to.deep.equal(['user', 'assistant'])
    expect(messages[0].parts[0]).to.include({ type: 'text', synthetic: true })
    expect(messages[1].info.parentID).to.equal(messages[0].info.id)
    expect(h.llm.requests).to.have.length(0)
    expect(h.events.filter((e) => e.type === 'session.status').map((e: any) => e.properties.status.type)).to.deep.equal(
      ['busy', 'idle'],
    )

    h.llm.script({ text: 'I saw it.' })
    expect((await h.prompt(session.id, 'what did it print?')).status).to.equal(200)
    const sent = JSON.stringify(h.llm.requests[0]!.body.messages)
    expect(sent).to.contain('cat a.txt').and.contain('oops')
  })

  it('streams output while running, answers 409 to a second command, and abort kills it', async () => {
    const h = await sessionHarness()
    const session = await h.createSession()
    const started = Date.now()
    const running = h.call('POST', `/session/${session.id}/shell`, {
      agent: 'build',
      command: 'echo started; sleep 30; echo never',
    })
    await until(
      () =>
        h.events.some(
          (e: any) =>
            e.type === 'message.part.updated' && e.properties.part.state?.metadata?.output?.includes('started'),
        ),
      5000,
      'streamed output',
    )
    const busy = await h.call('POST', `/session/${session.id}/shell`, { agent: 'build', command: 'echo again' })
    expect(busy.status).to.equal(409)
    expect(busy.body).to.deep.equal({
      name: 'SessionBusyError',
      data: { message: `Session is busy: ${session.id}`, sessionID: session.id },
    })
    expect((await h.call('GET', '/session/status')).body[session.id]).to.deep.equal({ type: 'busy' })

    expect((await h.call('POST', `/session/${session.id}/abort`)).body).to.equal(true)
    const response = await running
    expect(Date.now() - started).to.be.below(10_000)
    expect(response.status).to.equal(200)
    const part = response.body.parts[0]
    expect(part.state.status).to.equal('error')
    expect(part.state.error).to.equal('Tool execution aborted')
    expect(response.body.info.error.name).to.equal('MessageAbortedError')
    expect((await h.call('GET', '/session/status')).body).to.deep.equal({})

    // The session is usable again.
    const again = await h.call('POST', `/session/${session.id}/shell`, { agent: 'build', command: 'echo again' })
    expect(again.body.parts[0].state.output).to.contain('again')
  })

  it('queues a prompt sent while a command runs: it runs after the command, or is dropped by abort', async () => {
    const h = await sessionHarness()
    const session = await h.createSession()
    const running = h.call('POST', `/session/${session.id}/shell`, { agent: 'build', command: 'sleep 0.5; echo slept' })
    await until(
      () => h.events.some((e: any) => e.type === 'session.status' && e.properties.status.type === 'busy'),
      5000,
      'busy',
    )
    h.llm.script({ text: 'After the command.' })
    const queued = h.prompt(session.id, 'what happened?')
    expect((await running).body.parts[0].state.output).to.contain('slept')
    const reply = await queued
    expect(reply.status).to.equal(200)
    expect(reply.body.parts.find((p: any) => p.type === 'text').text).to.equal('After the command.')
    expect(JSON.stringify(h.llm.requests[0]!.body.messages)).to.contain('slept')

    const slow = h.call('POST', `/session/${session.id}/shell`, { agent: 'build', command: 'sleep 30' })
    await until(
      () =>
        h.events.filter(
          (e: any) =>
            e.type === 'message.part.updated' &&
            e.properties.part.tool === 'bash' &&
            e.properties.part.state.status === 'running',
        ).length >= 2,
      5000,
      'second command',
    )
    const dropped = h.prompt(session.id, 'never answered')
    await new Promise((resolve) => setTimeout(resolve, 50))
    await h.call('POST', `/session/${session.id}/abort`)
    expect((await slow).status).to.equal(200)
    const answer = await dropped
    expect(answer.status).to.equal(200)
    expect(answer.body.info.role).to.equal('user')
    expect(h.llm.requests).to.have.length(1)
  })

  it('rejects bad input and unknown ids without storing anything', async () => {
    const h = await sessionHarness()
    const session = await h.createSession()
    expect((await h.call('POST', `/session/${session.id}/shell`, { command: 'ls' })).status).to.equal(400)
    expect((await h.call('POST', `/session/${session.id}/shell`, { agent: 'build', command: '' })).status).to.equal(400)
    expect((await h.call('POST', `/session/${session.id}/shell`, { agent: 'nope', command: 'ls' })).status).to.equal(
      400,
    )
    expect(
      (
        await h.call('POST', `/session/${session.id}/shell`, {
          agent: 'build',
          command: 'ls',
          model: { providerID: 'x', modelID: 'y' },
        })
      ).status,
    ).to.equal(400)
    expect((await h.call('POST', '/session/ses_missing/shell', { agent: 'build', command: 'ls' })).status).to.equal(404)
    expect((await h.call('GET', `/session/${session.id}/message`)).body).to.deep.equal([])
  })
})
