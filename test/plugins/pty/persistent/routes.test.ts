import xtermHeadless from '@xterm/headless'
import { expect } from 'chai'
import { join } from 'node:path'
import { cleanup, tempDir } from '../../../support/helper.js'
import { expectMatches21 } from '../../../support/openapi.js'
import { until } from '../../../support/session.js'
import { waitFor } from '../../../support/wait.js'
import { connectPersistent } from '../../../support/terminal-socket.js'
import { alive, persistentServer, type PersistentServer } from './harness.js'

const X = '/api/experimental'

/**
 * What a checkpoint (then `more` output) draws when written to an empty terminal of that size, as
 * a client does: its rows, trimmed, as text.
 */
async function redraw(checkpoint: string, cols: number, rows: number, more = Buffer.alloc(0)): Promise<string> {
  const terminal = new xtermHeadless.Terminal({ cols, rows, scrollback: 1000, allowProposedApi: true })
  await new Promise<void>((resolve) => terminal.write(Buffer.from(checkpoint, 'base64'), resolve))
  await new Promise<void>((resolve) => terminal.write(more, resolve))
  const buffer = terminal.buffer.active
  const lines: string[] = []
  for (let index = 0; index < buffer.length; index++) lines.push(buffer.getLine(index)!.translateToString(true))
  terminal.dispose()
  return lines.join('\n').trimEnd()
}

describe('pty: persistent terminal routes (OpenCode 2.1)', () => {
  // One server (starting one with sessions is slow); each test has sessions of its own.
  let t: PersistentServer
  before(async () => {
    t = await persistentServer()
  })
  after(cleanup)

  it("starts a terminal in its session's directory, lists, gets and removes it, with events", async () => {
    const sessionID = await t.createSession()
    const created = await t.call('POST', `${X}/session/${sessionID}/terminal`, { args: [], title: 'main', env: {} })
    expect(created.status).to.equal(200)
    expectMatches21('POST', '/api/experimental/session/{sessionID}/terminal', 200, created.body)
    const info = created.body.data
    expect(info.id).to.match(/^pty_persistent_\d{16}$/)
    // The preferred shell, no `-l` added, in the session's directory (OpenCode 2.1.2: `/`), 80×24.
    expect(info).to.include({ title: 'main', cwd: t.repo, status: 'running', sessionID })
    expect(info.command).to.match(/^\//)
    expect(info.args).to.deep.equal([])
    expect(info.size).to.deep.equal({ cols: 80, rows: 24 })
    expect(t.sessionEvents('persistent-pty.added', sessionID)).to.deep.equal([{ sessionID, terminal: info }])

    const second = await t.startTerminal(sessionID, { cwd: 'sub', size: { cols: 120, rows: 40 }, title: 'sub' })
    expect(second).to.include({ cwd: join(t.repo, 'sub'), command: 'bash' })
    expect(second.args).to.deep.equal(['--noprofile', '--norc'])
    expect(second.size).to.deep.equal({ cols: 120, rows: 40 })
    const listed = await t.call('GET', `${X}/session/${sessionID}/terminal`)
    expectMatches21('GET', '/api/experimental/session/{sessionID}/terminal', 200, listed.body)
    expect(listed.body.data.map((entry: { id: string }) => entry.id)).to.deep.equal([info.id, second.id])
    const other = await t.createSession()
    expect((await t.call('GET', `${X}/session/${other}/terminal`)).body).to.deep.equal({ data: [] })

    const got = await t.call('GET', `${X}/persistent-pty/${second.id}`)
    expectMatches21('GET', '/api/experimental/persistent-pty/{ptyID}', 200, got.body)
    expect(got.body.data.foregroundProcess).to.equal('bash')

    const removed = await t.call('DELETE', `${X}/persistent-pty/${info.id}`)
    expect(removed.status).to.equal(204)
    expect(removed.body).to.equal(undefined)
    expect(t.sessionEvents('persistent-pty.removed', sessionID)).to.deep.equal([{ sessionID, ptyID: info.id }])
    const gone = await t.call('GET', `${X}/persistent-pty/${info.id}`)
    expect(gone.status).to.equal(404)
    expect(gone.body).to.deep.equal({
      _tag: 'PtyNotFoundError',
      ptyID: info.id,
      message: `PTY session not found: ${info.id}`,
    })
    expectMatches21('GET', '/api/experimental/persistent-pty/{ptyID}', 404, gone.body)
    await until(() => !alive(info.pid), 5000, 'the removed terminal to end')
    expect((await t.call('GET', `${X}/session/${sessionID}/terminal`)).body.data).to.have.length(1)
  })

  it('reads the most recently controlled terminal and snapshots a screen its checkpoint redraws', async () => {
    const sessionID = await t.createSession()
    const { id } = await t.startTerminal(sessionID, { size: { cols: 60, rows: 8 } })
    // No client has controlled a terminal yet.
    const none = await t.call('GET', `${X}/session/${sessionID}/terminal/read`)
    expect(none.body).to.deep.equal({ data: null })
    expectMatches21('GET', '/api/experimental/session/{sessionID}/terminal/read', 200, none.body)

    const client = await connectPersistent(t.base, id)
    await client.ready
    client.send('for i in 1 2 3 4 5 6 7 8 9; do echo line-$i; done; sleep 5\r')
    await until(() => client.output().includes('line-9'), 5000, 'the output')
    await until(async () => (await t.info(id)).foregroundProcess === 'sleep', 5000, 'sleep in the foreground')

    const read = await t.call('GET', `${X}/session/${sessionID}/terminal/read`)
    expectMatches21('GET', '/api/experimental/session/{sessionID}/terminal/read', 200, read.body)
    const { screen, ...rest } = read.body.data
    expect(rest).to.deep.equal({ ptyID: id, title: 'shell', cwd: t.repo, foregroundProcess: 'sleep' })
    expect([screen.cols, screen.rows]).to.deep.equal([60, 8])
    // The screen's 8 rows: the end of the loop and the (empty) row the cursor waits on.
    const rows = screen.text.split('\n')
    expect(rows).to.have.length(8)
    expect(rows.slice(-3)).to.deep.equal(['line-8', 'line-9', ''])
    expect(screen.cursor).to.deep.equal({ x: 0, y: 7 })
    const two = (await t.call('GET', `${X}/session/${sessionID}/terminal/read?lines=2`)).body.data.screen
    expect(two.text).to.equal('line-9\n')
    const all = (await t.call('GET', `${X}/session/${sessionID}/terminal/read?lines=1000`)).body.data.screen
    expect(all.text).to.include('line-1\nline-2').and.include('line-9')
    expect(all.rows).to.equal(8)

    const snapshot = await t.call('GET', `${X}/persistent-pty/${id}/snapshot`)
    expectMatches21('GET', '/api/experimental/persistent-pty/{ptyID}/snapshot', 200, snapshot.body)
    const { info, text, checkpoint, cursor } = snapshot.body.data
    expect(info.id).to.equal(id)
    expect(text).to.match(/line-1\nline-2\n[\s\S]*line-9$/)
    expect(cursor).to.deep.equal({ x: 0, y: 7 })
    expect(await redraw(checkpoint, 60, 8)).to.equal(text)
    expect(info.output.tail).to.equal(Buffer.byteLength(client.output()))
  })

  it('gives a snapshot from which the output after it draws the screen the server has, even while output streams', async function () {
    // Under load, the loop's output takes a while.
    this.timeout(60_000)
    const sessionID = await t.createSession()
    const { id } = await t.startTerminal(sessionID, {
      command: 'sh',
      args: ['-c', 'i=0; while [ $i -lt 1500 ]; do i=$((i+1)); echo "línea-$i"; done; echo done; sleep 60'],
      size: { cols: 40, rows: 10 },
    })
    await until(async () => (await t.info(id)).output.tail > 0, 5000, 'output')
    const first = (await t.call('GET', `${X}/persistent-pty/${id}/snapshot`)).body.data
    // As 2.1's TUI: draw the checkpoint, then attach from the offset it shows the output up to.
    const client = await connectPersistent(t.base, id, { cursor: String(first.info.output.tail), role: 'observer' })
    // (The first snapshot may already hold it all: then nothing follows its offset.)
    const last = await waitFor(
      async () => {
        const snapshot = (await t.call('GET', `${X}/persistent-pty/${id}/snapshot`)).body.data
        return snapshot.text.endsWith('done') ? snapshot : undefined
      },
      30_000,
      'the end of the output',
    )
    const received = () => first.info.output.tail + Buffer.byteLength(client.output())
    await until(() => received() === last.info.output.tail, 5000, 'the client to catch up')
    const more = Buffer.concat(client.frames.filter((frame): frame is Buffer => Buffer.isBuffer(frame)))
    expect(await redraw(first.checkpoint, 40, 10, more)).to.equal(last.text)
    expect(last.text).to.match(/línea-1500\ndone$/)
  })

  it('resizes with PUT, which names the controlling attachment while a client controls the terminal', async () => {
    const sessionID = await t.createSession()
    const { id } = await t.startTerminal(sessionID)
    const resized = await t.call('PUT', `${X}/persistent-pty/${id}`, { size: { cols: 100, rows: 30 } })
    expectMatches21('PUT', '/api/experimental/persistent-pty/{ptyID}', 200, resized.body)
    expect(resized.body.data.size).to.deep.equal({ cols: 100, rows: 30 })

    const client = await connectPersistent(t.base, id, { attachment_id: 'tui-1' })
    await client.ready
    const own = await t.call('PUT', `${X}/persistent-pty/${id}`, {
      size: { cols: 90, rows: 20 },
      attachmentID: 'tui-1',
    })
    expect(own.body.data.size).to.deep.equal({ cols: 90, rows: 20 })
    await until(() => client.messages('resized').length === 1, 5000, 'the resized frame')
    expect(client.messages('resized')[0]).to.include({ cols: 90, rows: 20, generation: 1 })
    client.send('stty size\r')
    await until(() => client.output().includes('20 90'), 5000, 'stty size')

    const foreign = await t.call('PUT', `${X}/persistent-pty/${id}`, {
      size: { cols: 50, rows: 10 },
      attachmentID: 'x',
    })
    expect(foreign.status).to.equal(400)
    expect(foreign.body).to.deep.include({ _tag: 'InvalidRequestError', field: 'attachmentID' })
    expectMatches21('PUT', '/api/experimental/persistent-pty/{ptyID}', 400, foreign.body)
    // While a client controls it, the size is that client's: an anonymous resize is refused too.
    const anonymous = await t.call('PUT', `${X}/persistent-pty/${id}`, { size: { cols: 50, rows: 10 } })
    expect(anonymous.status).to.equal(400)
    expect((await t.info(id)).size).to.deep.equal({ cols: 90, rows: 20 })
    // Once no client controls it, anyone may resize again.
    client.socket.close()
    await client.closed
    const free = await t.call('PUT', `${X}/persistent-pty/${id}`, { size: { cols: 50, rows: 10 } })
    expect(free.body.data.size).to.deep.equal({ cols: 50, rows: 10 })
  })

  it('answers no handoff, and ends every terminal on shutdown', async () => {
    const handoff = await t.call('POST', `${X}/persistent-pty/handoff`)
    expect(handoff.body).to.deep.equal({ handoff: null })
    expectMatches21('POST', '/api/experimental/persistent-pty/handoff', 200, handoff.body)

    const [first, second] = [await t.createSession(), await t.createSession()]
    const a = await t.startTerminal(first)
    const b = await t.startTerminal(second)
    const client = await connectPersistent(t.base, a.id)
    await client.ready
    const shutdown = await t.call('POST', `${X}/persistent-pty/shutdown`)
    expect(shutdown.status).to.equal(204)
    expect(t.sessionEvents('persistent-pty.removed', first, second)).to.deep.equal([
      { sessionID: first, ptyID: a.id },
      { sessionID: second, ptyID: b.id },
    ])
    expect(await client.closed).to.deep.equal({ code: 1000, reason: '' })
    expect(client.messages('exited')).to.have.length(1)
    await until(() => !alive(a.pid) && !alive(b.pid), 5000, 'both terminals to end')
    expect((await t.call('GET', `${X}/session/${first}/terminal`)).body.data).to.deep.equal([])
    // Terminals start again afterwards.
    await t.startTerminal(first)
  })

  it("outlives its clients and the project's instance; ends with its session", async () => {
    const sessionID = await t.createSession()
    const kept = await t.startTerminal(sessionID)
    const client = await connectPersistent(t.base, kept.id)
    await client.ready
    client.socket.close()
    await client.closed
    expect((await t.call('POST', `/instance/dispose?directory=${encodeURIComponent(t.repo)}`)).body).to.equal(true)
    expect(alive(kept.pid)).to.equal(true)
    expect((await t.info(kept.id)).status).to.equal('running')

    const doomed = await t.createSession()
    const a = await t.startTerminal(doomed)
    const b = await t.startTerminal(doomed)
    expect((await t.call('DELETE', `/session/${doomed}?directory=${encodeURIComponent(t.repo)}`)).status).to.equal(200)
    const removed = t.sessionEvents('persistent-pty.removed', doomed).map((data) => data.ptyID)
    expect(removed).to.have.members([a.id, b.id])
    await until(() => !alive(a.pid) && !alive(b.pid), 5000, "the deleted session's terminals to end")
    expect((await t.call('GET', `${X}/session/${doomed}/terminal`)).status).to.equal(404)
    expect(alive(kept.pid)).to.equal(true)
  })

  it('kills a terminal whose program ignores the hangup, after a grace', async () => {
    const sessionID = await t.createSession()
    const { id, pid } = await t.startTerminal(sessionID, { command: 'sh', args: ['-c', "trap '' HUP; exec sleep 60"] })
    await until(async () => (await t.info(id)).foregroundProcess === 'sleep', 5000, 'sleep ignoring the hangup')
    expect((await t.call('DELETE', `${X}/persistent-pty/${id}`)).status).to.equal(204)
    await until(() => !alive(pid), 5000, 'the process to be killed')
  })

  it('rejects bad input with a tagged 400, unknown sessions and terminals with a 404, and starts nothing', async () => {
    const sessionID = await t.createSession()
    const outside = tempDir()
    const create = `${X}/session/${sessionID}/terminal`
    const base = { args: [], title: 't', env: {} }
    for (const body of [
      { title: 't', env: {} },
      { args: [], env: {} },
      { args: [], title: 't' },
      { ...base, args: 'bash' },
      { ...base, env: { A: 1 } },
      { ...base, size: { cols: 0, rows: 24 } },
      { ...base, size: { cols: 501, rows: 24 } },
      { ...base, size: { cols: 80 } },
      { ...base, cwd: outside },
      { ...base, cwd: '../..' },
      { ...base, cwd: 'missing' },
      { ...base, command: 'no-such-command-here' },
    ]) {
      const answer = await t.call('POST', create, body)
      expect(answer.status, JSON.stringify(body)).to.equal(400)
      expectMatches21('POST', '/api/experimental/session/{sessionID}/terminal', 400, answer.body)
    }
    for (const [method, url, path] of [
      ['GET', `${X}/session/${sessionID}/terminal/read?lines=0`, '/api/experimental/session/{sessionID}/terminal/read'],
      [
        'GET',
        `${X}/session/${sessionID}/terminal/read?lines=abc`,
        '/api/experimental/session/{sessionID}/terminal/read',
      ],
      [
        'GET',
        `${X}/session/${sessionID}/terminal/read?lines=65536`,
        '/api/experimental/session/{sessionID}/terminal/read',
      ],
      ['GET', `${X}/session/nope/terminal`, '/api/experimental/session/{sessionID}/terminal'],
      ['GET', `${X}/persistent-pty/nope`, '/api/experimental/persistent-pty/{ptyID}'],
      ['GET', `${X}/persistent-pty/pty_x%20y/snapshot`, '/api/experimental/persistent-pty/{ptyID}/snapshot'],
    ] as const) {
      const answer = await t.call(method, url)
      expect(answer.status, url).to.equal(400)
      expectMatches21(method, path, 400, answer.body)
    }
    for (const put of [{}, { size: { cols: 10, rows: 0 } }, { size: { cols: 10 } }]) {
      expect((await t.call('PUT', `${X}/persistent-pty/pty_persistent_1`, put)).status).to.equal(400)
    }

    // An unknown session: 404 SessionNotFoundError (OpenCode 2.1.2 starts a terminal for any id).
    for (const [method, url] of [
      ['POST', `${X}/session/ses_unknown/terminal`],
      ['GET', `${X}/session/ses_unknown/terminal`],
      ['GET', `${X}/session/ses_unknown/terminal/read`],
    ] as const) {
      const answer = await t.call(method, url, method === 'POST' ? base : undefined)
      expect(answer.status, url).to.equal(404)
      expect(answer.body).to.deep.equal({
        _tag: 'SessionNotFoundError',
        sessionID: 'ses_unknown',
        message: 'Session not found: ses_unknown',
      })
    }
    const unknown = 'pty_persistent_0000000000000001'
    for (const [method, path, payload, headers] of [
      ['GET', '/api/experimental/persistent-pty/{ptyID}', undefined, {}],
      ['PUT', '/api/experimental/persistent-pty/{ptyID}', { size: { cols: 10, rows: 10 } }, {}],
      ['DELETE', '/api/experimental/persistent-pty/{ptyID}', undefined, {}],
      ['GET', '/api/experimental/persistent-pty/{ptyID}/snapshot', undefined, {}],
      ['POST', '/api/experimental/persistent-pty/{ptyID}/connect-token', undefined, { 'x-opencode-ticket': '1' }],
      ['GET', '/api/experimental/persistent-pty/{ptyID}/connect', undefined, {}],
    ] as const) {
      const answer = await t.call(method, path.replace('{ptyID}', unknown), payload, headers)
      expect(answer.status, `${method} ${path}`).to.equal(404)
      expect(answer.body).to.deep.equal({
        _tag: 'PtyNotFoundError',
        ptyID: unknown,
        message: `PTY session not found: ${unknown}`,
      })
      expectMatches21(method, path, 404, answer.body)
    }
    await connectPersistent(t.base, unknown).then(
      () => expect.fail('connected to an unknown terminal'),
      (error) => expect(error.status).to.equal(404),
    )
    expect(t.sessionEvents('persistent-pty.added', sessionID, 'ses_unknown')).to.deep.equal([])
    expect((await t.call('GET', `${X}/session/${sessionID}/terminal`)).body.data).to.deep.equal([])
  })

  it('runs at most 8 terminals per session', async () => {
    const sessionID = await t.createSession()
    const sleeper = { command: 'sleep', args: ['60'] }
    for (let index = 0; index < 8; index++) await t.startTerminal(sessionID, sleeper)
    const refused = await t.call('POST', `${X}/session/${sessionID}/terminal`, { title: 't', env: {}, ...sleeper })
    expect(refused.status).to.equal(400)
    expect(refused.body.message).to.equal('Too many terminals (at most 8 run per session)')
    // Another session still may.
    await t.startTerminal(await t.createSession(), sleeper)
    expect((await t.call('POST', `${X}/persistent-pty/shutdown`)).status).to.equal(204)
  })
})

describe('pty: persistent terminals on servers of their own', () => {
  afterEach(cleanup)

  it('ends them with the server', async () => {
    const t = await persistentServer()
    const { pid } = await t.startTerminal(await t.createSession())
    await t.server.close()
    await until(() => !alive(pid), 5000, 'the terminal to end with the server')
  })

  it('knows no session without the session plugin', async () => {
    const t = await persistentServer({ plugins: ['core', 'pty'] })
    const answer = await t.call('POST', `${X}/session/ses_x/terminal`, { args: [], title: 't', env: {} })
    expect(answer.status).to.equal(404)
    expect(answer.body._tag).to.equal('SessionNotFoundError')
    expect((await t.call('GET', `${X}/session/ses_x/terminal`)).status).to.equal(404)
  })

  it('lets a browser attach with a one-time ticket instead of the password', async () => {
    const t = await persistentServer({ password: 'secret' })
    const sessionID = await t.createSession()
    const { id } = await t.startTerminal(sessionID)
    const token = `${X}/persistent-pty/${id}/connect-token`
    const refused = await t.call('POST', token)
    expect(refused.status).to.equal(403)
    expect(refused.body).to.deep.equal({
      _tag: 'ForbiddenError',
      message: 'Invalid persistent PTY connect token request',
    })
    expectMatches21('POST', '/api/experimental/persistent-pty/{ptyID}/connect-token', 403, refused.body)
    const issued = await t.call('POST', token, undefined, { 'x-opencode-ticket': '1' })
    expectMatches21('POST', '/api/experimental/persistent-pty/{ptyID}/connect-token', 200, issued.body)
    expect(issued.body.data.expires_in).to.equal(60)
    const { ticket } = issued.body.data

    const status = (query: Record<string, string>, ptyID = id) =>
      connectPersistent(t.base, ptyID, query).then(
        () => 101,
        (error) => error.status,
      )
    expect(await status({})).to.equal(401)
    const client = await connectPersistent(t.base, id, { ticket })
    expect(await client.ready).to.have.property('endOffset')
    expect(await status({ ticket })).to.equal(403)
    const other = await t.startTerminal(sessionID)
    const foreign = (await t.call('POST', token, undefined, { 'x-opencode-ticket': '1' })).body.data.ticket
    expect(await status({ ticket: foreign }, other.id)).to.equal(403)
  })
})
