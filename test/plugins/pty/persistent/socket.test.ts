import { expect } from 'chai'
import { cleanup } from '../../../support/helper.js'
import { expectMatches21 } from '../../../support/openapi.js'
import { until } from '../../../support/session.js'
import { connectPersistent, protocolFrame, type PersistentSocket } from '../../../support/terminal-socket.js'
import { persistentServer, type PersistentServer } from './harness.js'

const X = '/api/experimental'

/** The frames' kinds in order: JSON ones by type, output as `output`. */
function kinds(client: PersistentSocket): string[] {
  return client.frames.map((frame) => (Buffer.isBuffer(frame) ? 'output' : String(frame.type)))
}

/** A new session of the shared server with a terminal. */
async function sessionTerminal(t: PersistentServer, body: Record<string, unknown> = {}) {
  const sessionID = await t.createSession()
  const info = await t.startTerminal(sessionID, body)
  // The prompt is out: what a client replays is known.
  await until(async () => (await t.info(info.id)).output.tail > 0, 5000, 'the prompt')
  return { ...t, sessionID, id: info.id as string }
}

describe('pty: persistent terminal WebSocket (OpenCode 2.1)', () => {
  // One server (starting one with sessions is slow); each test has a session of its own.
  let server: PersistentServer
  before(async () => {
    server = await persistentServer()
  })
  after(cleanup)

  it('attaches: attached, the replay from a byte offset, replay_complete, then control and live output', async () => {
    const t = await sessionTerminal(server)
    const tail = (await t.info(t.id)).output.tail
    const client = await connectPersistent(t.base, t.id, { attachment_id: 'first' })
    expect(await client.ready).to.deep.equal({ endOffset: tail })
    expect(kinds(client)).to.deep.equal(['attached', 'output', 'replay_complete', 'controller_changed'])
    const [attached] = client.messages('attached')
    expect(attached).to.deep.include({
      type: 'attached',
      attachmentID: 'first',
      inputProtocol: 0,
      role: 'controller',
      generation: 1,
      replay: { requestedOffset: 0, availableOffset: 0, endOffset: tail, truncated: false },
    })
    expectMatches21('GET', '/api/experimental/persistent-pty/{ptyID}', 200, { data: attached!.info })
    expect(client.messages('controller_changed')).to.deep.equal([
      { type: 'controller_changed', attachmentID: 'first', generation: 1 },
    ])

    // Text frames are input; output comes as binary frames.
    client.send('echo hi-$((40+2))\r')
    await until(() => client.output().includes('hi-42'), 5000, 'live output')
    client.socket.close()
    await client.closed
    // The terminal runs on without clients; a client resumes from any offset it has.
    const end = (await t.info(t.id)).output.tail
    const resumed = await connectPersistent(t.base, t.id, { cursor: String(end - 5) })
    await resumed.ready
    expect(resumed.output()).to.equal(client.output().slice(-5))
    expect(resumed.messages('attached')[0]!.replay).to.deep.include({ requestedOffset: end - 5, endOffset: end })
    // The first controller left: a new one is generation 3 (leaving counted as a change).
    expect(resumed.messages('attached')[0]).to.include({ role: 'controller', generation: 3 })
    resumed.socket.close()
    await resumed.closed
    const atEnd = await connectPersistent(t.base, t.id, { cursor: String(end) })
    await atEnd.ready
    expect(kinds(atEnd)).to.deep.equal(['attached', 'replay_complete', 'controller_changed'])
    atEnd.socket.close()

    // Past the end: closed at once, as OpenCode 2.1 does; a cursor that is no offset: 400 before the upgrade.
    const past = await connectPersistent(t.base, t.id, { cursor: String(end + 1) })
    expect(await past.closed).to.deep.equal({ code: 4404, reason: 'terminal unavailable' })
    for (const cursor of ['-1', 'abc', '1.5']) {
      await connectPersistent(t.base, t.id, { cursor }).then(
        () => expect.fail(`attached with cursor ${cursor}`),
        (error) => expect(error.status).to.equal(400),
      )
    }
    const plain = await t.call('GET', `${X}/persistent-pty/${t.id}/connect`)
    expect(plain.status).to.equal(400)
    expectMatches21('GET', '/api/experimental/persistent-pty/{ptyID}/connect', 400, plain.body)
  })

  it('passes control: observers watch, a second controller needs takeover, typing takes control, leaving hands it on', async () => {
    const t = await sessionTerminal(server)
    const a = await connectPersistent(t.base, t.id, { attachment_id: 'a' })
    await a.ready
    // A controller while another controls: refused without takeover, as OpenCode 2.1 does.
    const refused = await connectPersistent(t.base, t.id, { attachment_id: 'b' })
    expect(await refused.closed).to.deep.equal({ code: 4404, reason: 'terminal unavailable' })

    const observer = await connectPersistent(t.base, t.id, { attachment_id: 'o', role: 'observer' })
    await observer.ready
    expect(observer.messages('attached')[0]).to.include({ role: 'observer', generation: 1 })
    expect(kinds(observer)).to.deep.equal(['attached', 'output', 'replay_complete'])

    const b = await connectPersistent(t.base, t.id, { attachment_id: 'b', takeover: 'true' })
    await b.ready
    expect(b.messages('attached')[0]).to.include({ role: 'controller', generation: 2 })
    const changed = (client: PersistentSocket) =>
      client.messages('controller_changed').map((m) => [m.attachmentID, m.generation])
    await until(() => changed(a).length === 2 && changed(observer).length === 1, 5000, 'the change to reach all')
    expect(changed(a)).to.deep.equal([
      ['a', 1],
      ['b', 2],
    ])

    // The observer types: it takes control, and everyone sees its input's output.
    observer.send('echo from-$((6*7))\r')
    await until(() => [a, b, observer].every((c) => c.output().includes('from-42')), 5000, 'output to all')
    expect(changed(b)).to.deep.equal([
      ['b', 2],
      ['o', 3],
    ])
    // The controller leaves: the latest other client takes over.
    observer.socket.close()
    await until(() => changed(a).at(-1)?.[0] === 'b', 5000, 'control handed on')
    expect(changed(a).at(-1)).to.deep.equal(['b', 4])
    const read = await t.call('GET', `${X}/session/${t.sessionID}/terminal/read`)
    expect(read.body.data.ptyID).to.equal(t.id)

    // Reattaching under an id replaces the old socket.
    const again = await connectPersistent(t.base, t.id, { attachment_id: 'b', takeover: 'true' })
    await again.ready
    expect(await b.closed).to.deep.equal({ code: 1000, reason: 'attachment replaced' })
    expect(again.messages('attached')[0]).to.include({ role: 'controller', generation: 4 })
  })

  it("input protocol 1: a control frame takes control at the client's size, everyone gets the redrawn screen", async () => {
    const t = await sessionTerminal(server)
    const tui = await connectPersistent(t.base, t.id, { input_protocol: '1', role: 'observer', attachment_id: 'tui' })
    await tui.ready
    expect(tui.messages('attached')[0]).to.include({ inputProtocol: 1, role: 'observer' })
    const watcher = await connectPersistent(t.base, t.id, { role: 'observer' })
    await watcher.ready

    tui.send(protocolFrame(0, 100, 30))
    await until(() => watcher.messages('resized').length === 1, 5000, 'the resized frame')
    const [resized] = watcher.messages('resized')
    expect(resized).to.include({ type: 'resized', cols: 100, rows: 30, generation: 1 })
    expect(Buffer.from(resized!.checkpoint, 'base64').toString()).to.include('bash-')
    expect(watcher.messages('controller_changed')).to.deep.equal([
      { type: 'controller_changed', attachmentID: 'tui', generation: 1 },
    ])
    expect((await t.info(t.id)).size).to.deep.equal({ cols: 100, rows: 30 })

    // Frames that are too short, of another kind, or of an impossible size are dropped.
    tui.send(Buffer.from([1, 0]))
    tui.send(protocolFrame(7, 100, 30, 'echo never\r'))
    tui.send(protocolFrame(1, 0, 30, 'echo never\r'))
    tui.send(protocolFrame(1, 501, 30, 'echo never\r'))
    tui.send('echo never\r')
    // A typing frame at another size resizes first.
    tui.send(protocolFrame(1, 70, 12, 'stty size\r'))
    await until(() => tui.output().includes('12 70'), 5000, 'stty size')
    expect(tui.output()).not.to.include('never')
    expect(watcher.messages('resized').map((m) => [m.cols, m.rows])).to.deep.equal([
      [100, 30],
      [70, 12],
    ])
  })

  it('tells clients of title changes and of the exit, then closes', async () => {
    const t = await sessionTerminal(server)
    const client = await connectPersistent(t.base, t.id)
    await client.ready
    client.send("printf '\\033]0;%s\\007' renamed\r")
    await until(() => client.messages('title_changed').length > 0, 5000, 'title_changed')
    expect(client.messages('title_changed')[0]).to.deep.equal({ type: 'title_changed', title: 'renamed' })
    expect((await t.info(t.id)).title).to.equal('renamed')

    client.send('exit 7\r')
    expect(await client.closed).to.deep.equal({ code: 1000, reason: '' })
    const [exited] = client.messages('exited')
    expect(exited).to.deep.equal({ type: 'exited', exitCode: 7, finalOffset: Buffer.byteLength(client.output()) })
    expect(t.sessionEvents('persistent-pty.removed', t.sessionID)).to.deep.equal([
      { sessionID: t.sessionID, ptyID: t.id },
    ])
    expect((await t.call('GET', `${X}/persistent-pty/${t.id}`)).status).to.equal(404)
    expect((await t.call('GET', `${X}/session/${t.sessionID}/terminal/read`)).body).to.deep.equal({ data: null })
  })
})
