import { expect } from 'chai'
import { definedEvents } from '../../../kernel/events/bus.js'
import { cleanup, copyStores, gitRepo, listen, startServer, tempDir } from '../../support/helper.js'
import { expectMatchesReference } from '../../support/openapi.js'
import { PLUGINS, sessionHarness, until, type SessionHarness } from '../../support/session.js'

const TODOS = [
  { content: 'Write the parser', status: 'in_progress', priority: 'high' },
  { content: 'Test it', status: 'completed', priority: 'low' },
]

async function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : undefined }
}

async function get(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url)
  return { status: response.status, body: await response.json() }
}

/** A session on server A with a tool call, a todo list and a text answer; returns its id once its title is set. */
async function conversation(h: SessionHarness): Promise<string> {
  h.llm.script({ toolCalls: [{ name: 'todowrite', args: { todos: TODOS } }] }, { text: 'Planned it.' })
  const session = await h.createSession()
  expect((await h.prompt(session.id, 'plan the parser')).status).to.equal(200)
  await until(
    () => h.events.some((e) => e.type === 'session.updated' && (e.properties as any).info.title === 'Scripted title'),
    5000,
    'the generated title',
  )
  return session.id
}

/** A second server (its own data dir, port and project checkout) with the sync plugin. */
async function secondServer() {
  const repo = gitRepo()
  const server = await startServer({ cwd: repo, only: [...PLUGINS, 'sync'] })
  return { server, repo, url: await listen(server) }
}

describe('plugin: sync', () => {
  afterEach(cleanup)

  it('logs every state change of a session with its own seq, 0, 1, 2 …, and answers the events after a known seq', async () => {
    const h = await sessionHarness({ extraPlugins: ['sync'] })
    const sessionID = await conversation(h)
    const history = await h.call('POST', '/sync/history', {})
    expect(history.status).to.equal(200)
    expectMatchesReference('POST', '/sync/history', 200, history.body)
    const events = history.body.filter((event: any) => event.aggregate_id === sessionID)
    expect(events.map((event: any) => event.seq)).to.deep.equal(events.map((_: unknown, i: number) => i))
    expect(events[0]).to.deep.include({ type: 'session.created.1' })
    expect(events[0].data.info.id).to.equal(sessionID)
    const types = new Set(events.map((event: any) => event.type))
    for (const type of ['session.updated.1', 'message.updated.1', 'message.part.updated.1', 'todo.updated.1'])
      expect(types).to.include(type)
    // Streaming deltas and status changes describe no state: they are not logged.
    expect([...types].some((type) => /delta|status|idle/.test(type as string))).to.equal(false)
    // The log follows the bus: the same event ids, in the order they were published.
    const published = h.events
      .filter((event) => types.has(`${event.type}.1`) && (event.properties as any).sessionID === sessionID)
      .map((event) => event.id)
    expect(events.map((event: any) => event.id)).to.deep.equal(published)

    const after = await h.call('POST', '/sync/history', { [sessionID]: 3 })
    expect(after.body.map((event: any) => event.seq)).to.deep.equal(events.slice(4).map((event: any) => event.seq))
    expect((await h.call('POST', '/sync/history', { [sessionID]: events.length - 1 })).body).to.deep.equal([])
  })

  it('answers at most 1,000 events per call, the rest when asked again with the seqs received, reading by index', async () => {
    const h = await sessionHarness({ extraPlugins: ['sync'] })
    const session = await h.createSession()
    const instance = await h.server.kernel.instances.get(h.repo)
    const todoUpdated = definedEvents().find((event) => event.type === 'todo.updated')!
    for (let i = 0; i < 1100; i++)
      h.server.kernel.bus.publish(instance, todoUpdated, {
        sessionID: session.id,
        todos: [{ id: `t${i}`, content: `step ${i}`, status: 'pending', priority: 'low' }],
      })
    const first = (await h.call('POST', '/sync/history', {})).body
    expect(first).to.have.length(1000)
    const last = first.at(-1).seq
    const rest = (await h.call('POST', '/sync/history', { [session.id]: last })).body
    expect(rest.map((event: any) => event.seq)).to.deep.equal(
      Array.from({ length: 1100 - last }, (_, i) => last + 1 + i),
    )
    expect(rest.at(-1).data.todos[0].id).to.equal('t1099')
    // Appending and reading after a seq seek the (session, seq) key; they never scan a session's log.
    const plan = h.server.kernel.storage.db
      .prepare(
        'EXPLAIN QUERY PLAN SELECT id, aggregate_id, seq, type, data FROM sync_event WHERE aggregate_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      )
      .all('x', 0, 10) as { detail: string }[]
    expect(plan.map((row) => row.detail).join(' ')).to.match(/SEARCH sync_event USING PRIMARY KEY/)
  })

  it("lets another plugin read a session's log after a seq and then follow it live, without a gap (app.syncLog)", async () => {
    const h = await sessionHarness({ extraPlugins: ['sync'] })
    const session = await h.createSession()
    const log = h.server.app.syncLog
    expect(log.latest(session.id)).to.equal(0)
    expect(log.after(session.id, -1, 10).map((row) => row.type)).to.deep.equal(['session.created.1'])
    const live: number[] = []
    const stop = log.follow(session.id, (row) => live.push(row.seq))
    h.llm.script({ text: 'hello' })
    await h.prompt(session.id, 'hi')
    stop()
    expect(live.length).to.be.greaterThan(2)
    expect(live).to.deep.equal(live.map((_, i) => i + 1))
    // What was followed live is what the log holds after seq 0 (the title may come later still).
    expect(
      log
        .after(session.id, 0, 1000)
        .map((row) => row.seq)
        .slice(0, live.length),
    ).to.deep.equal(live)
    expect(log.after(session.id, 1, 2).map((row) => row.seq)).to.deep.equal([2, 3])
  })

  it('replays a history into a second server, which then has the same session, messages, parts and todo list', async () => {
    const h = await sessionHarness({ extraPlugins: ['sync'] })
    const sessionID = await conversation(h)
    const a = await listen(h.server)
    const b = await secondServer()

    const history = await post(`${a}/sync/history?directory=${encodeURIComponent(h.repo)}`, {})
    const events = history.body.map((event: any) => ({
      id: event.id,
      aggregateID: event.aggregate_id,
      seq: event.seq,
      type: event.type,
      data: event.data,
    }))
    const replayed = await post(`${b.url}/sync/replay?directory=${encodeURIComponent(b.repo)}`, {
      directory: b.repo,
      events,
    })
    expect(replayed.status, JSON.stringify(replayed.body)).to.equal(200)
    expect(replayed.body).to.deep.equal({ sessionID })
    expectMatchesReference('POST', '/sync/replay', 200, replayed.body)

    const here = (path: string) => get(`${a}${path}?directory=${encodeURIComponent(h.repo)}`)
    const there = (path: string) => get(`${b.url}${path}?directory=${encodeURIComponent(b.repo)}`)
    const [messagesA, messagesB] = await Promise.all([
      here(`/session/${sessionID}/message`),
      there(`/session/${sessionID}/message`),
    ])
    expect(messagesB.status).to.equal(200)
    expect(messagesB.body).to.have.length(3)
    expect(messagesB.body).to.deep.equal(messagesA.body)
    expect(messagesB.body[1].parts.map((part: any) => part.type)).to.include('tool')
    expect(messagesB.body[2].parts.map((part: any) => part.type)).to.include('text')
    expect((await there(`/session/${sessionID}/todo`)).body).to.deep.equal(TODOS)
    const sessionB = (await there(`/session/${sessionID}`)).body
    const sessionA = (await here(`/session/${sessionID}`)).body
    // Placed in the second server's project checkout, otherwise the same session.
    expect(sessionB.directory).to.equal(b.repo)
    expect({ ...sessionB, directory: undefined, projectID: undefined }).to.deep.equal({
      ...sessionA,
      directory: undefined,
      projectID: undefined,
    })
    expect((await there('/session')).body.map((s: any) => s.id)).to.deep.equal([sessionID])
    // And its log there is the same history, so a third server can sync from it.
    const historyB = await post(`${b.url}/sync/history?directory=${encodeURIComponent(b.repo)}`, {})
    expect(historyB.body.map((event: any) => [event.id, event.seq, event.type])).to.deep.equal(
      history.body.map((event: any) => [event.id, event.seq, event.type]),
    )

    // Replaying the same history again changes nothing; the events after it bring the rest.
    expect(
      (await post(`${b.url}/sync/replay?directory=${encodeURIComponent(b.repo)}`, { directory: b.repo, events }))
        .status,
    ).to.equal(200)
    expect((await there(`/session/${sessionID}/message`)).body).to.have.length(3)
    h.llm.script({ text: 'Second answer.' })
    expect((await h.prompt(sessionID, 'again')).status).to.equal(200)
    const rest = await post(`${a}/sync/history?directory=${encodeURIComponent(h.repo)}`, {
      [sessionID]: events.at(-1).seq,
    })
    expect(rest.body.length).to.be.greaterThan(0)
    const more = rest.body.map((event: any) => ({
      id: event.id,
      aggregateID: event.aggregate_id,
      seq: event.seq,
      type: event.type,
      data: event.data,
    }))
    expect((await post(`${b.url}/sync/replay`, { directory: b.repo, events: more })).status).to.equal(200)
    expect((await there(`/session/${sessionID}/message`)).body).to.deep.equal(
      (await here(`/session/${sessionID}/message`)).body,
    )
  })

  it('answers a history that does not fit with a 400 naming the reason, and changes nothing', async () => {
    const h = await sessionHarness({ extraPlugins: ['sync'] })
    const sessionID = await conversation(h)
    const events = (await h.call('POST', '/sync/history', {})).body.map((event: any) => ({
      id: event.id,
      aggregateID: event.aggregate_id,
      seq: event.seq,
      type: event.type,
      data: event.data,
    }))
    const b = await secondServer()
    const replay = (list: unknown[]) => post(`${b.url}/sync/replay`, { directory: b.repo, events: list })
    const clone = () => structuredClone(events)

    const cases: [string, unknown[], RegExp][] = [
      ['a gap', [...events.slice(0, 2), ...events.slice(3)], /consecutive seqs/],
      ['not from the start', events.slice(1), /expected seq 0/],
      ['two sessions', [events[0], { ...events[1], aggregateID: 'ses_other' }], /one session/],
      ['an unknown type', [events[0], { ...events[1], type: 'session.exploded.1' }], /Unknown event type/],
      [
        'an unknown version',
        [events[0], { ...events[1], type: events[1].type.replace(/\.1$/, '.7') }],
        /Unknown event type/,
      ],
      [
        'data that does not match the event',
        (() => {
          const list = clone()
          delete list[0].data.info.title
          return list
        })(),
        /Invalid data at event seq 0/,
      ],
      [
        'a part of another session',
        (() => {
          const list = clone()
          const part = list.find((e: any) => e.type === 'message.part.updated.1')
          part.data.part.sessionID = 'ses_x'
          return list
        })(),
        /sessionID must be/,
      ],
      [
        'an event of another session inside',
        (() => {
          const list = clone()
          list[1].data.sessionID = 'ses_x'
          return list
        })(),
        /sessionID must be/,
      ],
      [
        'a part before its message',
        (() => {
          const list = clone()
          const i = list.findIndex((e: any) => e.type === 'message.updated.1')
          const j = list.findIndex((e: any) => e.type === 'message.part.updated.1')
          ;[list[i].type, list[i].data, list[j].type, list[j].data] = [
            list[j].type,
            list[j].data,
            list[i].type,
            list[i].data,
          ]
          return list
        })(),
        /does not exist here/,
      ],
      [
        'a reused event id',
        (() => {
          const list = clone()
          list[2].id = list[1].id
          return list
        })(),
        /already used/,
      ],
    ]
    for (const [what, list, reason] of cases) {
      const answer = await replay(list)
      expect(answer.status, `${what}: ${JSON.stringify(answer.body)}`).to.equal(400)
      expect(answer.body._tag, what).to.equal('InvalidRequestError')
      expect(answer.body.message, what).to.match(reason)
      expectMatchesReference('POST', '/sync/replay', 400, answer.body)
    }
    for (const body of [
      { directory: b.repo, events: [] },
      { directory: b.repo },
      { directory: 'relative', events },
      { directory: b.repo, events: [{ ...events[0], id: 'nope' }] },
      'not json',
    ]) {
      const answer = await fetch(`${b.url}/sync/replay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      })
      expect(answer.status, JSON.stringify(body)).to.equal(400)
    }
    // Nothing of the failed replays stayed: no session, no log, and the whole history still applies.
    expect((await get(`${b.url}/session`)).body).to.deep.equal([])
    expect((await post(`${b.url}/sync/history`, {})).body).to.deep.equal([])
    expect((await replay(events)).status).to.equal(200)
    expect((await get(`${b.url}/session/${sessionID}/todo`)).body).to.deep.equal(TODOS)
  })

  it('starts the log of a session older than the log with a snapshot of it, so its history is complete', async () => {
    const h = await sessionHarness({})
    const sessionID = await conversation(h)
    // The same database under a server that has the sync plugin (an upgrade).
    const upgraded = tempDir('ok-data-')
    await copyStores(h.server, upgraded)
    const server = await startServer({ cwd: h.repo, only: [...PLUGINS, 'sync'], dataDir: upgraded })
    const a = await listen(server)
    expect((await post(`${a}/sync/history`, {})).body).to.deep.equal([])
    const renamed = await fetch(`${a}/session/${sessionID}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Renamed' }),
    })
    expect(renamed.status).to.equal(200)

    const history = (await post(`${a}/sync/history`, {})).body
    expect(history.map((event: any) => event.seq)).to.deep.equal(history.map((_: unknown, i: number) => i))
    expect(history[0].type).to.equal('session.created.1')
    expect(history.at(-1)).to.deep.include({ type: 'session.updated.1' })
    expect(history.filter((event: any) => event.type === 'message.updated.1')).to.have.length(3)
    const b = await secondServer()
    const events = history.map((event: any) => ({
      id: event.id,
      aggregateID: event.aggregate_id,
      seq: event.seq,
      type: event.type,
      data: event.data,
    }))
    expect((await post(`${b.url}/sync/replay`, { directory: b.repo, events })).status).to.equal(200)
    expect((await get(`${b.url}/session/${sessionID}/message`)).body).to.deep.equal(
      (await get(`${a}/session/${sessionID}/message`)).body,
    )
    expect((await get(`${b.url}/session/${sessionID}`)).body.title).to.equal('Renamed')
  })

  it('keeps only the deletion of a deleted session, and replaying it deletes the session elsewhere', async () => {
    const h = await sessionHarness({ extraPlugins: ['sync'] })
    const sessionID = await conversation(h)
    const events = (await h.call('POST', '/sync/history', {})).body.map((event: any) => ({
      id: event.id,
      aggregateID: event.aggregate_id,
      seq: event.seq,
      type: event.type,
      data: event.data,
    }))
    const b = await secondServer()
    expect((await post(`${b.url}/sync/replay`, { directory: b.repo, events })).status).to.equal(200)

    expect((await h.call('DELETE', `/session/${sessionID}`)).status).to.equal(200)
    const after = (await h.call('POST', '/sync/history', {})).body
    expect(after).to.have.length(1)
    expect(after[0]).to.deep.include({ type: 'session.deleted.1', seq: events.length })
    const tail = after.map((event: any) => ({
      id: event.id,
      aggregateID: event.aggregate_id,
      seq: event.seq,
      type: event.type,
      data: event.data,
    }))
    expect((await post(`${b.url}/sync/replay`, { directory: b.repo, events: tail })).status).to.equal(200)
    expect((await get(`${b.url}/session/${sessionID}`)).status).to.equal(404)
  })

  it('answers start with true and steals a session into the workspace asked for (400 for an unknown one)', async () => {
    const h = await sessionHarness({ extraPlugins: ['sync'] })
    const start = await h.call('POST', '/sync/start')
    expect(start).to.deep.include({ status: 200, body: true })
    expectMatchesReference('POST', '/sync/start', 200, start.body)

    const unknown = await h.call('POST', '/sync/steal', { sessionID: 'ses_unknown' })
    expect(unknown.status).to.equal(400)
    expect(unknown.body).to.deep.equal({
      _tag: 'InvalidRequestError',
      message: 'Session not found: ses_unknown',
      kind: 'Payload',
    })
    expectMatchesReference('POST', '/sync/steal', 400, unknown.body)
    expect((await h.call('POST', '/sync/steal', { sessionID: 'nope' })).status).to.equal(400)

    const session = await h.createSession()
    const stolen = await h.call('POST', '/sync/steal', { sessionID: session.id })
    expect(stolen).to.deep.include({ status: 200, body: { sessionID: session.id } })
    expectMatchesReference('POST', '/sync/steal', 200, stolen.body)
    expect((await h.call('GET', `/session/${session.id}`)).body.workspaceID).to.equal(undefined)
  })
})
