import { expect } from 'chai'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { EventPayload } from '../../../kernel/events/bus.js'
import { cleanup, gitRepo, listen, onCleanup, startServer, tempDir } from '../../support/helper.js'
import { until } from '../../support/session.js'
import { connect } from '../../support/terminal-socket.js'

async function ptyServer(options: { password?: string; instanceCapacity?: number } = {}) {
  const repo = gitRepo()
  mkdirSync(join(repo, 'sub'))
  const server = await startServer({
    cwd: repo,
    only: ['core', 'pty'],
    password: options.password,
    instanceCapacity: options.instanceCapacity,
  })
  const events: EventPayload[] = []
  onCleanup(server.kernel.bus.subscribe((event) => events.push(event.payload), repo))
  const auth: Record<string, string> = options.password
    ? { authorization: `Basic ${Buffer.from(`opencode:${options.password}`).toString('base64')}` }
    : {}
  const call = async (method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const response = await server.app.inject({
      method: method as 'GET',
      url,
      headers: { ...auth, ...headers },
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined }
  }
  return { repo, server, events, call, auth, base: await listen(server) }
}

/** A shell that reads no profile, so its output is predictable. */
const QUIET_SHELL = { command: 'bash', args: ['--noprofile', '--norc'] }

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('plugin: pty', () => {
  afterEach(cleanup)

  it('keeps a project with an open terminal out of LRU eviction until the terminal ends', async () => {
    const t = await ptyServer({ instanceCapacity: 1 })
    const info = (await t.call('POST', '/pty', QUIET_SHELL)).body
    const other = tempDir()
    expect((await t.call('GET', `/pty?directory=${encodeURIComponent(other)}`)).status).to.equal(200)
    expect(t.server.kernel.instances.has(t.repo)).to.equal(true)
    expect(alive(info.pid)).to.equal(true)
    expect(t.events.some((e) => e.type === 'pty.exited')).to.equal(false)

    // The shell ends on its own (a request for the project would make it the most recently used).
    process.kill(info.pid, 'SIGKILL')
    await until(() => !t.server.kernel.instances.has(t.repo), 5000, 'the idle project to be evicted')
    expect(t.server.kernel.instances.has(other)).to.equal(true)
  })

  it('creates, lists, renames, resizes and deletes terminals, with events', async () => {
    const t = await ptyServer()
    const created = await t.call('POST', '/pty', QUIET_SHELL)
    expect(created.status).to.equal(200)
    const info = created.body
    expect(info.id).to.match(/^pty_/)
    expect(info).to.include({ title: `Terminal ${info.id.slice(-4)}`, command: 'bash', cwd: t.repo, status: 'running' })
    expect(info.args).to.deep.equal(['--noprofile', '--norc', '-l'])
    expect(info.pid).to.be.above(0)
    expect(t.events.find((e) => e.type === 'pty.created')?.properties).to.deep.equal({ info })
    expect((await t.call('GET', '/pty')).body.map((p: any) => p.id)).to.deep.equal([info.id])
    expect((await t.call('GET', `/pty/${info.id}`)).body).to.deep.equal(info)

    const renamed = await t.call('PUT', `/pty/${info.id}`, { title: 'build', size: { rows: 40, cols: 120 } })
    expect(renamed.body.title).to.equal('build')
    expect(t.events.some((e: any) => e.type === 'pty.updated' && e.properties.info.title === 'build')).to.equal(true)
    const terminal = await connect(t.base, info.id)
    await terminal.meta
    terminal.send('stty size\r')
    await until(() => terminal.text().includes('40 120'), 5000, 'stty size after resize')

    expect((await t.call('DELETE', `/pty/${info.id}`)).body).to.equal(true)
    expect((await terminal.closed).code).to.equal(1000)
    expect(t.events.find((e) => e.type === 'pty.deleted')?.properties).to.deep.equal({ id: info.id })
    const gone = await t.call('GET', `/pty/${info.id}`)
    expect(gone.status).to.equal(404)
    expect(gone.body).to.deep.equal({
      name: 'PtyNotFoundError',
      data: { message: `PTY session not found: ${info.id}`, ptyID: info.id },
    })
    await until(() => !alive(info.pid), 5000, 'the process to end')
    expect((await t.call('GET', '/pty')).body).to.deep.equal([])
    expect((await t.call('DELETE', `/pty/${info.id}`)).status).to.equal(404)
  })

  it('streams output, takes input, and replays from a cursor without duplicates', async () => {
    const t = await ptyServer()
    const { id } = (await t.call('POST', '/pty', { ...QUIET_SHELL, env: { GREETING: 'hello-env' } })).body
    const first = await connect(t.base, id)
    await first.meta
    first.send('echo "$GREETING $TERM $OPENCODE_TERMINAL" hi-$((40+2))\r')
    await until(() => first.text().includes('hi-42'), 5000, 'live output')
    expect(first.text()).to.contain('hello-env xterm-256color 1 hi-42')
    // Binary frames of valid UTF-8 are input too; invalid UTF-8 is dropped.
    first.send(Buffer.from([0xff, 0xfe]), true)
    first.send(Buffer.from('echo bin-$((1+1))\r'), true)
    await until(() => first.text().includes('bin-2'), 5000, 'binary input')
    await new Promise((resolve) => setTimeout(resolve, 100))
    first.socket.close()

    // Everything kept is replayed, then the meta frame gives the cursor.
    const replay = await connect(t.base, id)
    const { cursor } = await replay.meta
    expect(replay.text()).to.contain('hi-42').and.contain('bin-2')
    expect(cursor).to.equal(replay.text().length)
    const metaIndex = replay.frames.findIndex((f) => typeof f !== 'string')
    expect(replay.frames.slice(metaIndex + 1)).to.deep.equal([])

    // From the cursor: only what came after; -1: nothing, just the meta frame.
    const resumed = await connect(t.base, id, { cursor: String(cursor) })
    expect((await resumed.meta).cursor).to.equal(cursor)
    expect(resumed.text()).to.equal('')
    const none = await connect(t.base, id, { cursor: '-1' })
    await none.meta
    expect(none.frames).to.have.length(1)
    const tail = await connect(t.base, id, { cursor: String(cursor - 5) })
    await tail.meta
    expect(tail.text()).to.equal(replay.text().slice(-5))
    const invalid = await connect(t.base, id, { cursor: 'abc' })
    await invalid.meta
    expect(invalid.text()).to.equal(replay.text())

    resumed.send('echo after-$((2+3))\r')
    await until(() => resumed.text().includes('after-5'), 5000, 'output after the cursor')
    expect(resumed.text()).not.to.contain('hi-42')
  })

  it('reports the exit of a terminal: pty.exited, socket closed with 1000, then 404', async () => {
    const t = await ptyServer()
    const { id } = (
      await t.call('POST', '/pty', { command: 'sh', args: ['-c', 'read line; echo "got $line"; exit 3'] })
    ).body
    const terminal = await connect(t.base, id)
    await terminal.meta
    terminal.send('ping\r')
    expect((await terminal.closed).code).to.equal(1000)
    expect(terminal.text()).to.contain('got ping')
    await until(() => t.events.some((e) => e.type === 'pty.exited'), 5000, 'pty.exited')
    expect(t.events.find((e) => e.type === 'pty.exited')?.properties).to.deep.equal({ id, exitCode: 3 })
    expect((await t.call('GET', `/pty/${id}`)).status).to.equal(404)
    expect((await t.call('GET', '/pty')).body).to.deep.equal([])
    await connect(t.base, id).then(
      () => expect.fail('connected to an exited terminal'),
      (error) => expect(error.status).to.equal(404),
    )
  })

  it('rejects bad input with 400 and starts nothing', async () => {
    const t = await ptyServer()
    const outside = tempDir()
    expect((await t.call('POST', '/pty', { cwd: outside })).status).to.equal(400)
    expect((await t.call('POST', '/pty', { cwd: '../..' })).status).to.equal(400)
    expect((await t.call('POST', '/pty', { cwd: 'missing' })).status).to.equal(400)
    expect((await t.call('POST', '/pty', { command: 'no-such-command-here' })).status).to.equal(400)
    expect((await t.call('POST', '/pty', { args: 'not-an-array' })).status).to.equal(400)
    expect((await t.call('POST', '/pty', { env: { A: 1 } })).status).to.equal(400)
    expect((await t.call('GET', '/pty')).body).to.deep.equal([])
    expect(t.events.filter((e) => e.type === 'pty.created')).to.have.length(0)

    // No body at all: the preferred shell in the project directory.
    const bare = await t.server.app.inject({ method: 'POST', url: '/pty' })
    expect(bare.statusCode).to.equal(200)
    expect(JSON.parse(bare.body)).to.include({ cwd: t.repo, status: 'running' })
    expect((await t.call('DELETE', `/pty/${JSON.parse(bare.body).id}`)).body).to.equal(true)
    const { id, cwd } = (await t.call('POST', '/pty', { ...QUIET_SHELL, cwd: 'sub' })).body
    expect(cwd).to.equal(join(t.repo, 'sub'))
    expect((await t.call('PUT', `/pty/${id}`, { size: { rows: 0, cols: 80 } })).status).to.equal(400)
    expect((await t.call('PUT', '/pty/pty_unknown', { title: 'x' })).status).to.equal(404)
    expect((await t.call('GET', '/pty/nope')).status).to.equal(400)
    // A plain GET of the WebSocket route is not an upgrade.
    expect((await t.call('GET', `/pty/${id}/connect`)).status).to.equal(400)
    await connect(t.base, 'pty_unknown').then(
      () => expect.fail('connected to an unknown terminal'),
      (error) => expect(error.status).to.equal(404),
    )
  })

  it('lets a browser attach with a one-time ticket instead of the password', async () => {
    const t = await ptyServer({ password: 'secret' })
    const { id } = (await t.call('POST', '/pty', QUIET_SHELL)).body
    expect((await t.call('POST', `/pty/${id}/connect-token`)).status).to.equal(403)
    const token = await t.call('POST', `/pty/${id}/connect-token`, undefined, { 'x-opencode-ticket': '1' })
    expect(token.status).to.equal(200)
    expect(token.body.expires_in).to.equal(60)

    await connect(t.base, id).then(
      () => expect.fail('connected without credentials'),
      (error) => expect(error.status).to.equal(401),
    )
    const terminal = await connect(t.base, id, { ticket: token.body.ticket })
    await terminal.meta
    await connect(t.base, id, { ticket: token.body.ticket }).then(
      () => expect.fail('a ticket worked twice'),
      (error) => expect(error.status).to.equal(401),
    )
    const other = (await t.call('POST', '/pty', QUIET_SHELL)).body.id
    const wrong = (await t.call('POST', `/pty/${id}/connect-token`, undefined, { 'x-opencode-ticket': '1' })).body
      .ticket
    await connect(t.base, other, { ticket: wrong }).then(
      () => expect.fail('a ticket opened another terminal'),
      (error) => expect(error.status).to.equal(401),
    )
    // With the password (as a header) it works as any request does.
    await (
      await connect(t.base, other, {}, t.auth)
    ).meta
  })

  it('ends every terminal when the instance is disposed', async () => {
    const t = await ptyServer()
    const { id, pid } = (await t.call('POST', '/pty', QUIET_SHELL)).body
    const terminal = await connect(t.base, id)
    await terminal.meta
    expect((await t.call('POST', '/instance/dispose')).body).to.equal(true)
    expect((await terminal.closed).code).to.equal(1001)
    await until(() => !alive(pid), 5000, 'the process to end')
    expect((await t.call('GET', '/pty')).body).to.deep.equal([])
  })

  it('leaves nothing open after refused upgrades: the server still closes at once', async () => {
    const t = await ptyServer({ password: 'secret' })
    const { id } = (await t.call('POST', '/pty', QUIET_SHELL)).body
    for (const headers of [
      {},
      { ...t.auth, origin: 'https://evil.example' },
      { ...t.auth, 'x-opencode-directory': '/no/such/dir' },
    ]) {
      await connect(t.base, id, {}, headers).then(
        () => expect.fail('the upgrade was accepted'),
        (error) => expect(error.status).to.be.oneOf([400, 401, 403]),
      )
    }
    const started = Date.now()
    await t.server.close()
    expect(Date.now() - started).to.be.below(2000)
  })
})
