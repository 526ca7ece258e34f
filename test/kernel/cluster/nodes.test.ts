import { expect } from 'chai'
import { cleanup, gitRepo, listen, openSse, startServer, tempDir } from '../../support/helper.js'
import { PLUGINS } from '../../support/session.js'
import { database, request, scriptedProject, SECRET, stopPostgres } from './setup.js'

describe('cluster: three nodes on one database', function () {
  this.timeout(120_000)
  after(stopPostgres)
  afterEach(cleanup)

  const nodes = async (url: string, ids: string[]) => {
    const bases: string[] = []
    for (const id of ids) {
      const server = await startServer({
        database: url,
        clusterSecret: SECRET,
        nodeId: id,
        leaseTtlMs: 1500,
        cwd: tempDir('ok-cwd-'),
        only: PLUGINS,
      })
      bases.push(await listen(server))
    }
    return bases
  }

  it('creates a session on A, prompts it through B, and streams its events on C; a client moving to another node with Last-Event-ID misses nothing', async () => {
    const url = await database()
    const { llm, q } = await scriptedProject()
    const [a, b, c] = (await nodes(url, ['node-a', 'node-b', 'node-c'])) as [string, string, string]

    const session = (await request(a, 'POST', `/session${q}`, { title: 'across' })).body
    expect(session.id).to.match(/^ses_/)
    // C streams every node's events: the global stream is served from the cluster bus, not forwarded.
    const onC = await openSse(`${c}/global/event`)
    await onC.next((frame) => frame.data.payload?.type === 'server.connected')
    // And a client of A's events that will move to B halfway.
    const onA = await openSse(`${a}/global/event`)
    await onA.next((frame) => frame.data.payload?.type === 'server.connected')

    const words = Array.from({ length: 12 }, (_, i) => `w${i} `)
    llm.script({ text: words, delayMs: 60 })
    const reply = request(b, 'POST', `/session/${session.id}/message${q}`, {
      parts: [{ type: 'text', text: 'hello from B' }],
    })
    const middle = await onA.next(
      (frame) => frame.data.payload?.type === 'message.part.delta' && frame.data.payload.properties.delta === 'w4 ',
    )
    onA.close()
    const done = await reply
    expect(done.status).to.equal(200)
    expect(done.body.parts.find((part: { type: string }) => part.type === 'text').text).to.equal(
      words.join('').trimEnd(),
    )

    // C saw the whole turn, in order, with the cluster's ids.
    await onC.next(
      (frame) => frame.data.payload?.type === 'session.idle' && frame.data.payload.properties.sessionID === session.id,
    )
    const deltas = (frames: { data: any }[]) =>
      frames
        .filter((frame) => frame.data.payload?.type === 'message.part.delta')
        .map((frame) => frame.data.payload.properties.delta)
    expect(deltas(onC.frames).join('')).to.equal(words.join(''))
    expect(
      onC.frames.some(
        (frame) => frame.data.payload?.type === 'message.updated' && frame.data.payload.properties.info.role === 'user',
      ),
    ).to.equal(true)

    // The client that left A after "w4 " reconnects to B with its last id: it gets the rest, once.
    const resumed = await openSse(`${b}/global/event`, { 'last-event-id': middle.id })
    await resumed.next(
      (frame) => frame.data.payload?.type === 'session.idle' && frame.data.payload.properties.sessionID === session.id,
    )
    // Its first frame keeps its position: leaving right after it loses nothing either.
    expect(resumed.frames[0]!.data.payload.type).to.equal('server.connected')
    expect(resumed.frames[0]!.id).to.equal(middle.id)
    const seen = onA.frames.filter((frame) => Number(frame.id) <= Number(middle.id))
    expect([...deltas(seen), ...deltas(resumed.frames)].join('')).to.equal(words.join(''))
    const ids = resumed.frames
      .filter(
        (frame) => frame.data.payload?.type !== 'server.connected' && frame.data.payload?.type !== 'server.heartbeat',
      )
      .map((frame) => Number(frame.id))
    expect(ids.every((id, i) => id > Number(middle.id) && (i === 0 || id >= ids[i - 1]!))).to.equal(true)
    // The same events, with the same ids, as C got live.
    const after = onC.frames.filter(
      (frame) =>
        Number(frame.id) > Number(middle.id) &&
        frame.data.payload?.type !== 'server.heartbeat' &&
        frame.data.payload?.type !== 'server.connected',
    )
    expect(
      resumed.frames
        .filter(
          (frame) =>
            Number(frame.id) > Number(middle.id) &&
            frame.data.payload?.type !== 'server.heartbeat' &&
            frame.data.payload?.type !== 'server.connected',
        )
        .map((frame) => frame.id),
    ).to.deep.equal(after.map((frame) => frame.id))

    // Every node lists the session with both messages.
    for (const base of [a, b, c]) {
      const messages = await request(base, 'GET', `/session/${session.id}/message${q}`)
      expect(messages.body.map((message: { info: { role: string } }) => message.info.role)).to.deep.equal([
        'user',
        'assistant',
      ])
    }
    onC.close()
    resumed.close()
  })

  it('shares provider credentials: a key set through one node is used by the node running the instance', async () => {
    const url = await database()
    const repo = gitRepo()
    const q = `?directory=${encodeURIComponent(repo)}`
    const [a, b] = (await nodes(url, ['node-a', 'node-b'])) as [string, string]
    // A runs the instance.
    const before = await request(a, 'GET', `/provider${q}`)
    expect(before.body.connected).to.not.include('anthropic')
    expect((await request(b, 'PUT', '/auth/anthropic', { type: 'api', key: 'sk-shared' })).status).to.equal(200)
    const deadline = Date.now() + 5000
    let connected: string[] = []
    while (Date.now() < deadline) {
      connected = (await request(a, 'GET', `/provider${q}`)).body.connected
      if (connected.includes('anthropic')) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(connected).to.include('anthropic')
    expect((await request(a, 'DELETE', '/auth/anthropic')).status).to.equal(200)
    const gone = Date.now() + 5000
    while (Date.now() < gone && (await request(b, 'GET', `/provider${q}`)).body.connected.includes('anthropic'))
      await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await request(b, 'GET', `/provider${q}`)).body.connected).to.not.include('anthropic')
  })
})
