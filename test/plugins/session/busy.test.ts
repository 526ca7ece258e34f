import { expect } from 'chai'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, tempDir } from '../../support/helper.js'
import { sessionHarness, until } from '../../support/session.js'

describe('plugin: session (busy sessions)', () => {
  afterEach(cleanup)

  it('answers 409 SessionBusyError to what cannot run beside a turn, queues what can, and changes nothing', async () => {
    const h = await sessionHarness({ extraPlugins: ['snapshot'] })
    h.llm.script({ text: 'First.' })
    const session = await h.createSession()
    await h.prompt(session.id, 'one')
    const before = (await h.call('GET', `/session/${session.id}/message`)).body

    h.llm.script({ text: ['slow', 'ly', ' done'], delayMs: 300 })
    const running = h.prompt(session.id, 'two')
    await h.llm.untilRequests(2)
    const conflicts = [
      await h.call('POST', `/session/${session.id}/revert`, { messageID: before[0].info.id }),
      await h.call('POST', `/session/${session.id}/unrevert`),
      await h.call('POST', `/session/${session.id}/shell`, { agent: 'build', command: 'touch should-not-exist' }),
      await h.call('DELETE', `/session/${session.id}/message/${before[0].info.id}`),
    ]
    for (const response of conflicts) {
      expect(response.status).to.equal(409)
      expect(response.body).to.deep.equal({
        name: 'SessionBusyError',
        data: { message: `Session is busy: ${session.id}`, sessionID: session.id },
      })
    }
    // A summary waits its turn instead.
    h.llm.script({ text: 'Summary.' })
    const summary = h.call('POST', `/session/${session.id}/summarize`, {
      providerID: 'scripted',
      modelID: 'test-model',
    })
    expect((await running).status).to.equal(200)
    expect((await summary).status).to.equal(200)

    const after = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(after.slice(0, 2)).to.deep.equal(before)
    expect(after.map((m: any) => m.info.role)).to.deep.equal([
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
      'assistant',
    ])
    expect(after[5].info.summary).to.equal(true)
    expect(existsSync(join(h.repo, 'should-not-exist'))).to.equal(false)
    expect((await h.call('GET', `/session/${session.id}`)).body.revert).to.equal(undefined)
  })

  it('keeps a project with a running turn out of LRU eviction: a request for another project does not abort it', async () => {
    const h = await sessionHarness({ server: { instanceCapacity: 1 } })
    h.llm.script({ text: ['slow', 'ly', ' done'], delayMs: 150 })
    const session = await h.createSession()
    const running = h.prompt(session.id, 'take your time')
    await h.llm.untilRequests(1)
    const other = tempDir()
    expect((await h.call('GET', `/session?directory=${encodeURIComponent(other)}`)).status).to.equal(200)
    expect(h.server.kernel.instances.has(h.repo)).to.equal(true)

    const reply = await running
    expect(reply.status).to.equal(200)
    expect(reply.body.info.error).to.equal(undefined)
    expect(reply.body.parts.find((p: any) => p.type === 'text').text).to.equal('slowly done')
    // Idle now, the least recently used project goes.
    await until(() => !h.server.kernel.instances.has(h.repo), 5000, 'the idle project to be evicted')
    expect(h.server.kernel.instances.has(other)).to.equal(true)
  })
})
