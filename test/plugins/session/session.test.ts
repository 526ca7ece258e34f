import { expect } from 'chai'
import { cleanup } from '../../support/helper.js'
import { sessionHarness } from '../../support/session.js'

describe('plugin: session (sessions, messages, parts)', () => {
  afterEach(cleanup)

  it("creates a session shaped like OpenCode's and publishes session.created", async () => {
    const h = await sessionHarness()
    const session = await h.createSession()
    expect(session.id).to.match(/^ses_[0-9a-f]{12}[0-9A-Za-z]{14}$/)
    expect(session).to.include({ directory: h.repo, path: '', cost: 0, version: h.server.kernel.version })
    expect(session.title).to.match(/^New session - \d{4}-\d{2}-\d{2}T/)
    expect(session.slug).to.match(/^[a-z]+-[a-z]+$/)
    expect(session.tokens).to.deep.equal({ input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } })
    expect(h.events.find((e) => e.type === 'session.created')?.properties).to.deep.equal({
      sessionID: session.id,
      info: session,
    })
    // OpenCode's clients may send no body at all.
    const bare = await h.server.app.inject({ method: 'POST', url: '/session' })
    expect(bare.statusCode).to.equal(200)
    expect(JSON.parse(bare.body).id).to.match(/^ses_/)
    const forked = await h.server.app.inject({ method: 'POST', url: `/session/${session.id}/fork` })
    expect(forked.statusCode).to.equal(200)
    const child = await h.createSession({ parentID: session.id })
    expect(child.title).to.match(/^Child session - /)
    expect(child.parentID).to.equal(session.id)
  })

  it('lists newest first with roots, search, start and limit filters', async () => {
    const h = await sessionHarness()
    const a = await h.createSession({ title: 'alpha work' })
    const b = await h.createSession({ title: 'beta work' })
    await h.createSession({ parentID: a.id, title: 'child of alpha' })
    await h.call('PATCH', `/session/${a.id}`, { title: 'alpha work renamed' })
    const all = (await h.call('GET', '/session')).body
    expect(all.map((s: any) => s.title)).to.have.members(['alpha work renamed', 'beta work', 'child of alpha'])
    const roots = (await h.call('GET', '/session?roots=true')).body
    expect(roots.map((s: any) => s.id)).to.have.members([a.id, b.id])
    expect((await h.call('GET', '/session?search=beta')).body.map((s: any) => s.id)).to.deep.equal([b.id])
    expect((await h.call('GET', '/session?search=%25')).body).to.deep.equal([])
    expect((await h.call('GET', '/session?limit=1')).body).to.have.length(1)
    expect((await h.call('GET', `/session?start=${Date.now() + 60_000}`)).body).to.deep.equal([])
    expect((await h.call('GET', '/session?limit=0')).status).to.equal(400)
  })

  it('shows every change in the next list (its cached body goes with each write)', async () => {
    const h = await sessionHarness()
    const titles = async (query = '') => (await h.call('GET', `/session${query}`)).body.map((s: any) => s.title)
    expect(await titles()).to.deep.equal([])
    const a = await h.createSession({ title: 'one' })
    expect(await titles()).to.deep.equal(['one'])
    expect(await titles()).to.deep.equal(['one'])
    await h.call('PATCH', `/session/${a.id}`, { title: 'renamed' })
    expect(await titles()).to.deep.equal(['renamed'])
    expect(await titles('?search=ren')).to.deep.equal(['renamed'])
    const b = await h.createSession({ title: 'two' })
    expect(await titles('?search=ren')).to.deep.equal(['renamed'])
    expect(await titles()).to.have.members(['renamed', 'two'])
    await h.call('DELETE', `/session/${b.id}`)
    expect(await titles()).to.deep.equal(['renamed'])
    // Another directory of the same project has its own list.
    expect((await h.call('GET', '/session?scope=project')).body).to.have.length(1)
  })

  it('updates title and archive time, and 404s unknown sessions', async () => {
    const h = await sessionHarness()
    const session = await h.createSession()
    const patched = await h.call('PATCH', `/session/${session.id}`, { title: 'Renamed', time: { archived: 123 } })
    expect(patched.body.title).to.equal('Renamed')
    expect(patched.body.time.archived).to.equal(123)
    expect((await h.call('GET', `/session/${session.id}`)).body.title).to.equal('Renamed')
    expect((await h.call('PATCH', `/session/${session.id}`, { title: 42 })).status).to.equal(400)
    const missing = await h.call('GET', '/session/ses_0000000000000000000000000a')
    expect(missing.status).to.equal(404)
    expect(missing.body).to.deep.equal({
      name: 'NotFoundError',
      data: { message: 'Session not found: ses_0000000000000000000000000a' },
    })
    expect((await h.call('GET', '/session/not-a-session')).status).to.equal(400)
    expect((await h.call('PATCH', '/session/ses_0000000000000000000000000a', { title: 'x' })).status).to.equal(404)
    expect((await h.call('DELETE', '/session/ses_0000000000000000000000000a')).status).to.equal(404)
  })

  it('deletes a session with its children, messages and parts', async () => {
    const h = await sessionHarness()
    const parent = await h.createSession()
    const child = await h.createSession({ parentID: parent.id })
    const grandchild = await h.createSession({ parentID: child.id })
    const message = await h.prompt(child.id, 'remember this', { noReply: true })
    expect(message.status).to.equal(200)
    expect((await h.call('GET', `/session/${parent.id}/children`)).body.map((s: any) => s.id)).to.deep.equal([child.id])
    expect((await h.call('DELETE', `/session/${parent.id}`)).body).to.equal(true)
    for (const id of [parent.id, child.id, grandchild.id])
      expect((await h.call('GET', `/session/${id}`)).status).to.equal(404)
    expect(
      h.events.filter((e) => e.type === 'session.deleted').map((e) => (e.properties as any).sessionID),
    ).to.have.members([parent.id, child.id, grandchild.id])
    const db = h.server.kernel.storage.db
    expect(db.prepare('SELECT count(*) AS n FROM message').get()).to.deep.equal({ n: 0 })
    expect(db.prepare('SELECT count(*) AS n FROM part').get()).to.deep.equal({ n: 0 })
  })

  it('pages messages newest-last with a cursor, and serves one message', async () => {
    const h = await sessionHarness()
    const session = await h.createSession()
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await h.prompt(session.id, `note ${i}`, { noReply: true })).body.info.id)
    const all = await h.call('GET', `/session/${session.id}/message`)
    expect(all.body.map((m: any) => m.info.id)).to.deep.equal(ids)
    expect(all.body[0].parts[0]).to.include({ type: 'text', text: 'note 0', messageID: ids[0], sessionID: session.id })

    const first = await h.call('GET', `/session/${session.id}/message?limit=2`)
    expect(first.body.map((m: any) => m.info.id)).to.deep.equal(ids.slice(3))
    const cursor = first.headers['x-next-cursor'] as string
    expect(first.headers.link).to.contain(`before=${cursor}`)
    const second = await h.call('GET', `/session/${session.id}/message?limit=2&before=${cursor}`)
    expect(second.body.map((m: any) => m.info.id)).to.deep.equal(ids.slice(1, 3))
    const third = await h.call(
      'GET',
      `/session/${session.id}/message?limit=2&before=${second.headers['x-next-cursor']}`,
    )
    expect(third.body.map((m: any) => m.info.id)).to.deep.equal(ids.slice(0, 1))
    expect(third.headers['x-next-cursor']).to.equal(undefined)
    expect((await h.call('GET', `/session/${session.id}/message?before=garbage`)).status).to.equal(400)

    const one = await h.call('GET', `/session/${session.id}/message/${ids[2]}`)
    expect(one.body.info.id).to.equal(ids[2])
    expect((await h.call('GET', `/session/${session.id}/message/msg_000000000000000000000000aa`)).status).to.equal(404)
  })

  it('replaces and deletes parts, with events, and 404s unknown parts', async () => {
    const h = await sessionHarness()
    const session = await h.createSession()
    const { info, parts } = (await h.prompt(session.id, 'original', { noReply: true })).body
    const part = parts[0]
    const url = `/session/${session.id}/message/${info.id}/part/${part.id}`
    const patched = await h.call('PATCH', url, { ...part, text: 'edited' })
    expect(patched.body.text).to.equal('edited')
    expect((await h.call('GET', `/session/${session.id}/message/${info.id}`)).body.parts[0].text).to.equal('edited')
    expect((await h.call('PATCH', url, { ...part, id: 'prt_other' })).status).to.equal(400)
    expect((await h.call('PATCH', url, { ...part, type: 'nonsense' })).status).to.equal(400)
    expect((await h.call('DELETE', url)).body).to.equal(true)
    expect(
      h.events.some((e) => e.type === 'message.part.removed' && (e.properties as any).partID === part.id),
    ).to.equal(true)
    expect((await h.call('DELETE', url)).status).to.equal(404)
    expect((await h.call('DELETE', `/session/${session.id}/message/${info.id}`)).body).to.equal(true)
    expect((await h.call('GET', `/session/${session.id}/message/${info.id}`)).status).to.equal(404)
  })

  it('rejects a bad prompt body with 400 and stores nothing', async () => {
    const h = await sessionHarness()
    const session = await h.createSession()
    for (const body of [
      {},
      { parts: [] },
      { parts: [{ type: 'text' }] },
      { parts: [{ type: 'video', url: 'x' }] },
      { parts: [{ type: 'text', text: 'x' }], agent: 'no-such-agent' },
      { parts: [{ type: 'text', text: 'x' }], model: { providerID: 'scripted', modelID: 'nope' } },
    ]) {
      const response = await h.call('POST', `/session/${session.id}/message`, body)
      expect(response.status, JSON.stringify(body)).to.equal(400)
      expect(response.body.name).to.equal('BadRequest')
    }
    const outside = await h.call('POST', `/session/${session.id}/message`, {
      parts: [{ type: 'file', mime: 'text/plain', url: 'file:///etc/passwd' }],
    })
    expect(outside.status).to.equal(400)
    expect(outside.body.data.message).to.contain('outside the project')
    expect((await h.call('GET', `/session/${session.id}/message`)).body).to.deep.equal([])
    expect(
      (
        await h.call('POST', '/session/ses_0000000000000000000000000a/message', {
          parts: [{ type: 'text', text: 'x' }],
        })
      ).status,
    ).to.equal(404)
    expect(h.llm.requests).to.have.length(0)
  })
})
