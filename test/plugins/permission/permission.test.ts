import { expect } from 'chai'
import { symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, copyStores, startServer, tempDir } from '../../support/helper.js'
import { PLUGINS, sessionHarness, until, type SessionHarness } from '../../support/session.js'

const ASK_READ = { permission: { read: { '*': 'ask' } } }
const FILES = { 'notes.txt': 'one\ntwo\n', 'README.md': '# r\n' }

/** Starts a prompt in the background and resolves with the first permission request it raises. */
async function askedRequest(h: SessionHarness, sessionID: string, count = 1): Promise<any> {
  await until(() => h.events.filter((e) => e.type === 'permission.asked').length >= count, 5000, 'permission.asked')
  return h.events.filter((e) => e.type === 'permission.asked')[count - 1]!.properties
}

/**
 * A prompt whose `read` waits on a permission, then a crash: the stores are copied as they are at
 * that moment and a second server starts on the copy.
 */
async function crashWhileAsking() {
  const h = await sessionHarness({ files: FILES, config: ASK_READ })
  h.llm.script({ toolCalls: [{ name: 'read', args: { filePath: 'notes.txt' } }] })
  const session = await h.createSession()
  void h.prompt(session.id, 'read').catch(() => {})
  const asked = await askedRequest(h, session.id)
  const crashed = tempDir('ok-data-')
  await copyStores(h.server, crashed)
  await h.server.close()
  const second = await startServer({ cwd: h.repo, only: PLUGINS, dataDir: crashed })
  return { h, session, asked, second }
}

function toolPart(message: any): any {
  return message.parts.find((p: any) => p.type === 'tool')
}

describe('plugin: permission', () => {
  afterEach(cleanup)

  it('asks, lists the request, and runs the call on `once`', async () => {
    const h = await sessionHarness({ files: FILES, config: ASK_READ })
    h.llm.script({ toolCalls: [{ name: 'read', args: { filePath: 'notes.txt' } }] }, { text: 'Read it.' })
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'read notes')
    const asked = await askedRequest(h, session.id)
    expect(asked).to.include({ sessionID: session.id, permission: 'read' })
    expect(asked.id).to.match(/^per/)
    expect(asked.patterns).to.deep.equal(['notes.txt'])
    expect(asked.tool.callID).to.equal('call_1')
    const listed = (await h.call('GET', '/permission')).body
    expect(listed).to.deep.equal([asked])

    const answer = await h.call('POST', `/permission/${asked.id}/reply`, { reply: 'once' })
    expect(answer).to.deep.include({ status: 200, body: true })
    const done = await reply
    expect(done.body.parts.find((p: any) => p.type === 'text').text).to.equal('Read it.')
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(toolPart(messages[1]).state.status).to.equal('completed')
    expect(h.events.find((e) => e.type === 'permission.replied')!.properties).to.deep.equal({
      sessionID: session.id,
      requestID: asked.id,
      reply: 'once',
    })
    expect((await h.call('GET', '/permission')).body).to.deep.equal([])
    // `once` is not remembered: the next call asks again.
    h.llm.script({ toolCalls: [{ name: 'read', args: { filePath: 'notes.txt' } }] }, { text: 'Again.' })
    const again = h.prompt(session.id, 'read again')
    const second = await askedRequest(h, session.id, 2)
    await h.call('POST', `/permission/${second.id}/reply`, { reply: 'once' })
    expect((await again).status).to.equal(200)
  })

  it('remembers `always` for the project, across sessions and restarts', async () => {
    const dataDir = tempDir('ok-data-')
    const h = await sessionHarness({ files: FILES, config: ASK_READ, dataDir })
    h.llm.script({ toolCalls: [{ name: 'read', args: { filePath: 'notes.txt' } }] }, { text: 'ok' })
    const first = await h.createSession()
    const reply = h.prompt(first.id, 'read')
    const asked = await askedRequest(h, first.id)
    expect(asked.always).to.deep.equal(['*'])
    await h.call('POST', `/permission/${asked.id}/reply`, { reply: 'always' })
    await reply

    h.llm.script({ toolCalls: [{ name: 'read', args: { filePath: 'README.md' } }] }, { text: 'ok' })
    const other = await h.createSession()
    const result = await h.prompt(other.id, 'read another')
    expect(result.status).to.equal(200)
    expect(h.events.filter((e) => e.type === 'permission.asked')).to.have.length(1)
    const messages = (await h.call('GET', `/session/${other.id}/message`)).body
    expect(toolPart(messages[1]).state.status).to.equal('completed')

    await h.server.close()
    const restarted = await startServer({ cwd: h.repo, only: PLUGINS, dataDir })
    h.llm.script({ toolCalls: [{ name: 'read', args: { filePath: 'notes.txt' } }] }, { text: 'ok' })
    const third = (await restarted.app.inject({ method: 'POST', url: '/session', payload: {} })).json()
    const answer = await restarted.app.inject({
      method: 'POST',
      url: `/session/${third.id}/message`,
      payload: { parts: [{ type: 'text', text: 'read' }] },
    })
    expect(answer.statusCode).to.equal(200)
    const stored = (await restarted.app.inject({ url: `/session/${third.id}/message` })).json()
    expect(toolPart(stored[1]).state.status).to.equal('completed')
  })

  it('`reject` without a message fails the tool and stops the loop', async () => {
    const h = await sessionHarness({ files: FILES, config: ASK_READ })
    h.llm.script({ toolCalls: [{ name: 'read', args: { filePath: 'notes.txt' } }] }, { text: 'never sent' })
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'read')
    const asked = await askedRequest(h, session.id)
    await h.call('POST', `/permission/${asked.id}/reply`, { reply: 'reject' })
    const done = (await reply).body
    expect(done.info.finish).to.equal('tool-calls')
    expect(toolPart(done).state).to.include({
      status: 'error',
      error: 'The user rejected permission to use this specific tool call.',
    })
    expect(h.llm.requests).to.have.length(1)
  })

  it('`reject` with a message gives the model the feedback and goes on', async () => {
    const h = await sessionHarness({ files: FILES, config: ASK_READ })
    h.llm.script({ toolCalls: [{ name: 'read', args: { filePath: 'notes.txt' } }] }, { text: 'Understood.' })
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'read')
    const asked = await askedRequest(h, session.id)
    await h.call('POST', `/permission/${asked.id}/reply`, { reply: 'reject', message: 'not that file' })
    const done = (await reply).body
    expect(done.parts.find((p: any) => p.type === 'text').text).to.equal('Understood.')
    expect(h.llm.requests).to.have.length(2)
    expect(JSON.stringify(h.llm.requests[1]!.body.messages)).to.contain('with the following feedback: not that file')
  })

  it('`deny` rules fail the call with the matching rules, without asking', async () => {
    const h = await sessionHarness({
      files: FILES,
      config: { permission: { read: { '*': 'allow', 'notes.txt': 'deny' } } },
    })
    h.llm.script({ toolCalls: [{ name: 'read', args: { filePath: 'notes.txt' } }] }, { text: 'ok' })
    const session = await h.createSession()
    const done = (await h.prompt(session.id, 'read')).body
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(toolPart(messages[1]).state.error).to.contain(
      'The user has specified a rule which prevents you from using this specific tool call',
    )
    expect(toolPart(messages[1]).state.error).to.contain('"pattern":"notes.txt"')
    expect(done.parts.find((p: any) => p.type === 'text').text).to.equal('ok')
    expect(h.events.filter((e) => e.type === 'permission.asked')).to.have.length(0)
  })

  it('asks external_directory first for paths outside the project: `..`, absolute and symlinks', async () => {
    const outside = tempDir('ok-outside-')
    writeFileSync(join(outside, 'secret.txt'), 'secret')
    const h = await sessionHarness({ files: FILES, config: { permission: { read: 'allow' } } })
    symlinkSync(join(outside, 'secret.txt'), join(h.repo, 'link.txt'))
    const relativeOut = join('..', outside.split('/').pop()!, 'secret.txt')
    for (const [index, filePath] of [relativeOut, join(outside, 'secret.txt'), 'link.txt'].entries()) {
      h.llm.script({ toolCalls: [{ name: 'read', args: { filePath } }] }, { text: 'no' })
      const session = await h.createSession()
      const reply = h.prompt(session.id, 'read outside')
      const asked = await askedRequest(h, session.id, index + 1)
      expect(asked.permission).to.equal('external_directory')
      expect(asked.patterns).to.deep.equal([outside + '/*'])
      expect(asked.metadata).to.deep.include({ filepath: join(outside, 'secret.txt'), parentDir: outside })
      await h.call('POST', `/permission/${asked.id}/reply`, { reply: 'reject', message: 'stay inside' })
      await reply
      const messages = (await h.call('GET', `/session/${session.id}/message`)).body
      expect(toolPart(messages[1]).state.error).to.contain('stay inside')
    }
  })

  it('answers 404 for unknown ids and 400 for bad replies, changing nothing', async () => {
    const h = await sessionHarness({ files: FILES, config: ASK_READ })
    h.llm.script({ toolCalls: [{ name: 'read', args: { filePath: 'notes.txt' } }] }, { text: 'ok' })
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'read')
    const asked = await askedRequest(h, session.id)
    const unknown = await h.call('POST', '/permission/per_unknown/reply', { reply: 'once' })
    expect(unknown.status).to.equal(404)
    expect(unknown.body.name).to.equal('PermissionNotFoundError')
    expect((await h.call('POST', `/permission/${asked.id}/reply`, { reply: 'sometimes' })).status).to.equal(400)
    expect((await h.call('POST', `/permission/${asked.id}/reply`, {})).status).to.equal(400)
    expect((await h.call('POST', '/permission/abc/reply', { reply: 'once' })).status).to.equal(400)
    expect((await h.call('POST', `/session/ses_other/permissions/${asked.id}`, { response: 'once' })).status).to.equal(
      404,
    )
    expect((await h.call('GET', '/permission')).body).to.have.length(1)

    // The seed's form, with its `allow` wording.
    expect(
      (await h.call('POST', `/session/${session.id}/permissions/${asked.id}`, { response: 'allow' })).body,
    ).to.equal(true)
    expect((await reply).status).to.equal(200)
    expect((await h.call('POST', `/permission/${asked.id}/reply`, { reply: 'once' })).status).to.equal(404)
  })

  it('abort cancels a pending request', async () => {
    const h = await sessionHarness({ files: FILES, config: ASK_READ })
    h.llm.script({ toolCalls: [{ name: 'read', args: { filePath: 'notes.txt' } }] })
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'read')
    const asked = await askedRequest(h, session.id)
    await h.call('POST', `/session/${session.id}/abort`)
    const done = (await reply).body
    expect(done.info.error.name).to.equal('MessageAbortedError')
    expect((await h.call('GET', '/permission')).body).to.deep.equal([])
    expect(h.events.find((e) => e.type === 'permission.replied')!.properties).to.deep.include({
      requestID: asked.id,
      reply: 'reject',
    })
  })

  it('keeps a pending request over a restart and finishes the call when it is answered', async () => {
    const { h, session, asked, second } = await crashWhileAsking()
    const events: any[] = []
    second.kernel.bus.subscribe((event) => events.push(event.payload), h.repo)
    const pending = (await second.app.inject({ url: '/permission' })).json()
    expect(pending).to.deep.equal([asked])
    let messages = (await second.app.inject({ url: `/session/${session.id}/message` })).json()
    expect(toolPart(messages[1]).state.status).to.equal('running')

    h.llm.script({ text: 'The file has two lines.' })
    const answer = await second.app.inject({
      method: 'POST',
      url: `/permission/${asked.id}/reply`,
      payload: { reply: 'once' },
    })
    expect(answer.json()).to.equal(true)
    await until(() => events.some((e) => e.type === 'session.idle'), 5000, 'the resumed turn to end')
    messages = (await second.app.inject({ url: `/session/${session.id}/message` })).json()
    expect(toolPart(messages[1]).state.status).to.equal('completed')
    expect(toolPart(messages[1]).state.output).to.contain('one')
    expect(messages[1].info.finish).to.equal('tool-calls')
    expect(messages[2].parts.find((p: any) => p.type === 'text').text).to.equal('The file has two lines.')
    expect(JSON.stringify(h.llm.requests.at(-1)!.body.messages)).to.contain('00001| one')
  })

  it('gives up a request held over a restart when a new prompt arrives', async () => {
    const { h, session, asked, second } = await crashWhileAsking()
    h.llm.script({ text: 'fresh' })
    const answer = await second.app.inject({
      method: 'POST',
      url: `/session/${session.id}/message`,
      payload: { parts: [{ type: 'text', text: 'something else' }] },
    })
    expect(answer.statusCode).to.equal(200)
    expect((await second.app.inject({ url: '/permission' })).json()).to.deep.equal([])
    expect(
      (await second.app.inject({ method: 'POST', url: `/permission/${asked.id}/reply`, payload: { reply: 'once' } }))
        .statusCode,
    ).to.equal(404)
    const messages = (await second.app.inject({ url: `/session/${session.id}/message` })).json()
    expect(toolPart(messages[1]).state.status).to.equal('error')
    expect(messages[1].info.error.name).to.equal('MessageAbortedError')
  })
})
