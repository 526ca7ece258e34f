import { expect } from 'chai'
import type {} from '../../../plugins/permission/types.js' // app.permissionRequests
import type {} from '../../../plugins/session/types.js' // app.sessions
import { cleanup, listen, openSse } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'
import { sessionHarness, until, type SessionHarness } from '../../support/session.js'

const FILES = { 'notes.txt': 'one\ntwo\n' }
const ASK_READ = { permission: { read: { '*': 'ask' } } }
const REQUEST = '/api/session/{sessionID}/permission/{requestID}'
const REPLY = '/api/session/{sessionID}/permission/{requestID}/reply'
const SAVED = '/api/permission/saved/{id}'

async function asked(h: SessionHarness, count = 1): Promise<any> {
  await until(
    () => h.events.filter((event) => event.type === 'permission.asked').length >= count,
    5000,
    'permission.asked',
  )
  return h.events.filter((event) => event.type === 'permission.asked')[count - 1]!.properties
}

const readNotes = { toolCalls: [{ name: 'read', args: { filePath: 'notes.txt' } }] }
const textOf = (message: any) => message.parts.find((part: any) => part.type === 'text')?.text

describe('permission: OpenCode 2.1 routes', function () {
  // Each test drives real runs against the scripted model; a loaded machine makes them slow.
  this.timeout(40_000)
  afterEach(cleanup)

  it("shows a tool call's request in 2.1's shape (on /api/event too) and saves `always` for the whole project", async () => {
    const h = await sessionHarness({ files: FILES, config: ASK_READ })
    const base = await listen(h.server)
    const [v2Stream, v1Stream] = [await openSse(`${base}/api/event`), await openSse(`${base}/event`)]
    h.llm.script(readNotes, { text: 'Read it.' })
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'read notes')
    const request = await asked(h)
    const view = {
      id: request.id,
      sessionID: session.id,
      action: 'read',
      resources: ['notes.txt'],
      save: request.always,
      source: { type: 'tool', messageID: request.tool.messageID, id: request.tool.callID },
    }
    expect(request).to.include({ permission: 'read' })

    const byLocation = await h.call('GET', `/api/permission/request?location[directory]=${encodeURIComponent(h.repo)}`)
    expectMatches21('GET', '/api/permission/request', 200, byLocation.body)
    expect(byLocation.body).to.deep.equal({ location: { directory: h.repo }, data: [view] })
    const bySession = await h.call('GET', `/api/session/${session.id}/permission`)
    expectMatches21('GET', '/api/session/{sessionID}/permission', 200, bySession.body)
    expect(bySession.body).to.deep.equal({ data: [view] })
    const one = await h.call('GET', `/api/session/${session.id}/permission/${request.id}`)
    expectMatches21('GET', REQUEST, 200, one.body)
    expect(one.body).to.deep.equal({ data: view })
    // One event on the bus: v1 clients get v1's data, 2.1 clients 2.1's.
    const v2Asked = await v2Stream.next((frame) => frame.data?.type === 'permission.asked')
    expect(v2Asked.data.data).to.deep.equal(view)
    expect((await v1Stream.next((frame) => frame.data?.type === 'permission.asked')).data.properties).to.deep.equal(
      request,
    )

    const answered = await h.call('POST', `/api/session/${session.id}/permission/${request.id}/reply`, {
      decision: 'always',
    })
    expect(answered.status).to.equal(204)
    expect(textOf((await reply).body)).to.equal('Read it.')
    const replied = await v2Stream.next((frame) => frame.data?.type === 'permission.replied')
    expect(replied.data.data).to.deep.equal({ sessionID: session.id, requestID: request.id, reply: 'always' })
    const twice = await h.call('POST', `/api/session/${session.id}/permission/${request.id}/reply`, {
      decision: 'once',
    })
    expect(twice.status).to.equal(404)
    expect(twice.body).to.deep.equal({
      _tag: 'PermissionNotFoundError',
      requestID: request.id,
      message: `Permission request not found: ${request.id}`,
    })
    expectMatches21('POST', REPLY, 404, twice.body)

    const saved = (await h.call('GET', '/api/permission/saved')).body
    expectMatches21('GET', '/api/permission/saved', 200, saved)
    expect(saved.data).to.have.length(request.always.length)
    const entry = saved.data[0]
    expect(entry).to.deep.include({ action: 'read', resource: request.always[0] })
    expect(entry.id).to.match(/^psv_/)
    expect(entry.time.created).to.equal(entry.time.updated)

    // Another session of the project reads without asking.
    h.llm.script(readNotes, { text: 'Again.' })
    const other = await h.createSession()
    expect(textOf((await h.prompt(other.id, 'read again')).body)).to.equal('Again.')
    expect(h.events.filter((event) => event.type === 'permission.asked')).to.have.length(1)

    // Narrowed by an edit, it no longer covers the file: the next read asks.
    const edited = await h.call('PATCH', `/api/permission/saved/${entry.id}`, { resource: 'elsewhere/*' })
    expectMatches21('PATCH', SAVED, 200, edited.body)
    expect(edited.body.data).to.deep.include({ id: entry.id, action: 'read', resource: 'elsewhere/*' })
    expect(edited.body.data.time.updated).to.be.at.least(entry.time.created)
    h.llm.script(readNotes, { text: 'Third.' })
    const third = h.prompt(other.id, 'read once more')
    const again = await asked(h, 2)
    await h.call('POST', `/api/session/${other.id}/permission/${again.id}/reply`, { decision: 'once' })
    expect(textOf((await third).body)).to.equal('Third.')
    expect((await h.call('DELETE', `/api/permission/saved/${entry.id}`)).status).to.equal(204)
    expect((await h.call('GET', '/api/permission/saved')).body.data).to.have.length(request.always.length - 1)
  })

  it('edits saved permissions: unknown ids are a 404, a rule the project saves already a 409', async () => {
    const h = await sessionHarness({ config: { permission: { bash: { '*': 'ask' } } } })
    const session = await h.createSession()
    const always = async (resources: string[]) => {
      const { id } = (
        await h.call('POST', `/api/session/${session.id}/permission`, { action: 'bash', resources, save: resources })
      ).body.data
      await h.call('POST', `/api/session/${session.id}/permission/${id}/reply`, { decision: 'always' })
    }
    await always(['make'])
    await always(['ls *'])
    await always(['make'])
    const saved = (await h.call('GET', '/api/permission/saved')).body.data
    expect(saved.map((item: any) => item.resource)).to.deep.equal(['make', 'ls *'])
    const [make, ls] = saved

    const clash = await h.call('PATCH', `/api/permission/saved/${ls.id}`, { resource: 'make' })
    expect(clash.status).to.equal(409)
    expect(clash.body).to.deep.equal({
      _tag: 'ConflictError',
      message: 'A saved permission already allows bash for make',
      resource: ls.id,
    })
    expectMatches21('PATCH', SAVED, 409, clash.body)
    const unknown = await h.call('PATCH', '/api/permission/saved/psv_nope', { action: 'edit' })
    expect(unknown.status).to.equal(404)
    expect(unknown.body).to.deep.equal({
      _tag: 'PermissionSavedNotFoundError',
      id: 'psv_nope',
      message: 'Saved permission not found: psv_nope',
    })
    expectMatches21('PATCH', SAVED, 404, unknown.body)
    const bad = await h.call('PATCH', `/api/permission/saved/${make.id}`, { action: 5 })
    expect([bad.status, bad.body._tag]).to.deep.equal([400, 'InvalidRequestError'])
    const same = await h.call('PATCH', `/api/permission/saved/${make.id}`, { action: null })
    expect(same.body.data).to.deep.include({ action: 'bash', resource: 'make' })
    const moved = await h.call('PATCH', `/api/permission/saved/${make.id}`, { action: 'edit', resource: 'src/*' })
    expect(moved.body.data).to.deep.include({ id: make.id, action: 'edit', resource: 'src/*' })
    expect((await h.call('GET', `/api/permission/saved?projectID=nope`)).body).to.deep.equal({ data: [] })
    expect((await h.call('DELETE', '/api/permission/saved/psv_nope')).status).to.equal(204)
    expect((await h.call('GET', '/api/permission/saved')).body.data).to.have.length(2)
  })

  it("evaluates a client's own request; 1.18's `reply` and `callID` are still read", async () => {
    const h = await sessionHarness({
      config: { permission: { bash: { '*': 'ask', 'ls *': 'allow', 'rm *': 'deny' } } },
    })
    const session = await h.createSession()
    const base = `/api/session/${session.id}/permission`
    const create = async (body: Record<string, unknown>) => {
      const answer = await h.call('POST', base, body)
      expectMatches21('POST', '/api/session/{sessionID}/permission', answer.status, answer.body)
      return answer
    }
    expect((await create({ action: 'bash', resources: ['rm -rf build'] })).body.data.effect).to.equal('deny')
    expect((await create({ action: 'bash', resources: ['ls -la'] })).body.data.effect).to.equal('allow')
    const source = { type: 'tool', messageID: 'msg_1', id: 'call_1' }
    const ask = (await create({ id: 'per_mine', action: 'bash', resources: ['make'], metadata: { m: 1 }, source })).body
      .data
    expect(ask).to.deep.equal({ id: 'per_mine', effect: 'ask' })
    const pending = (await h.call('GET', `${base}/per_mine`)).body.data
    expect(pending).to.deep.equal({
      id: 'per_mine',
      sessionID: session.id,
      action: 'bash',
      resources: ['make'],
      metadata: { m: 1 },
      source,
    })
    const older = await create({
      action: 'bash',
      resources: ['cc'],
      source: { type: 'tool', messageID: 'm', callID: 'c' },
    })
    const olderView = (await h.call('GET', `${base}/${older.body.data.id}`)).body.data
    expect(olderView.source).to.deep.equal({ type: 'tool', messageID: 'm', id: 'c' })

    const refused: [string, unknown, number, string][] = [
      [base, { id: 'per_mine', action: 'bash', resources: ['make'] }, 409, 'ConflictError'],
      [base, { action: 'bash', resources: ['x'], agent: 'nope' }, 400, 'InvalidRequestError'],
      [
        base,
        { action: 'bash', resources: ['x'], source: { type: 'tool', messageID: 'm' } },
        400,
        'InvalidRequestError',
      ],
      [base, { resources: ['x'] }, 400, 'InvalidRequestError'],
      ['/api/session/ses_nope/permission', { action: 'bash', resources: ['x'] }, 404, 'SessionNotFoundError'],
      [`${base}/per_mine/reply`, {}, 400, 'InvalidRequestError'],
      [`${base}/per_mine/reply`, { decision: 'maybe' }, 400, 'InvalidRequestError'],
      [`${base}/bad/reply`, { decision: 'once' }, 400, 'InvalidRequestError'],
      [`${base}/per_nope/reply`, { decision: 'once' }, 404, 'PermissionNotFoundError'],
    ]
    for (const [url, body, status, tag] of refused) {
      const answer = await h.call('POST', url, body)
      expect([answer.status, answer.body._tag], `${url} ${JSON.stringify(body)}`).to.deep.equal([status, tag])
    }
    const missing = await h.call('POST', `${base}/per_mine/reply`, { message: 'x' })
    expect(missing.body).to.deep.equal({
      _tag: 'InvalidRequestError',
      message: 'Missing key\n  at ["decision"]',
      kind: 'Payload',
      field: 'decision',
    })
    expectMatches21('POST', REPLY, 400, missing.body)
    expect((await h.call('GET', `${base}/per_nope`)).body._tag).to.equal('PermissionNotFoundError')
    expect((await h.call('GET', base)).body.data.map((request: any) => request.id)).to.include('per_mine')

    expect((await h.call('POST', `${base}/per_mine/reply`, { reply: 'reject' })).status).to.equal(204)
    expect(h.events.find((event) => event.type === 'permission.replied')!.properties).to.deep.equal({
      sessionID: session.id,
      requestID: 'per_mine',
      reply: 'reject',
    })
    expect((await h.call('GET', `${base}/per_mine`)).status).to.equal(404)
  })

  it("cancelSession drops a session's tool requests and fails their calls; a client's own stay", async () => {
    const h = await sessionHarness({ files: FILES, config: ASK_READ })
    h.llm.script(readNotes, { text: 'Went on.' })
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'read notes')
    const request = await asked(h)
    await h.call('POST', `/api/session/${session.id}/permission`, { id: 'per_own', action: 'read', resources: ['x'] })
    const instance = await h.server.app.sessions.locate(session.id)
    expect(h.server.app.permissionRequests.cancelSession(instance, session.id)).to.equal(1)
    expect(textOf((await reply).body)).to.equal('Went on.')
    const pending = (await h.call('GET', `/api/session/${session.id}/permission`)).body.data
    expect(pending.map((item: any) => item.id)).to.deep.equal(['per_own'])
    const replied = h.events.filter((event) => event.type === 'permission.replied').map((event) => event.properties)
    expect(replied).to.deep.equal([{ sessionID: session.id, requestID: request.id, reply: 'reject' }])
  })
})
