import { expect } from 'chai'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cleanup, listen, openSse, tempDir } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'
import { until } from '../../support/wait.js'
import { groupMembers, shellHarness } from './support.js'

describe('shell: /api/shell', () => {
  afterEach(cleanup)

  it('runs a command with stdout and stderr merged in order, and keeps it after it exits until removed', async () => {
    const { server, repo, call, ended } = await shellHarness()
    const created = await call('POST', '/api/shell', {
      command: 'echo out; echo err >&2; exit 3',
      metadata: { a: 1 },
    })
    expect(created.status).to.equal(200)
    expectMatches21('POST', '/api/shell', 200, created.body)
    const info = created.body.data
    expect(created.body.location).to.deep.equal({ directory: repo })
    expect(info).to.include({ status: 'running', command: 'echo out; echo err >&2; exit 3', cwd: repo })
    expect(info.id).to.match(/^sh_/)
    expect(info.metadata).to.deep.equal({ a: 1 })
    expect(info.pid).to.be.a('number')
    expect(info.shell).to.match(/\/(bash|sh|zsh|dash|ksh)$/)
    const instance = await server.kernel.instances.get(repo)
    expect(info.file).to.equal(join(server.dataDir, 'shell', instance.project.id, `${info.id}.out`))

    const done = await ended(info.id)
    expect(done).to.include({ status: 'exited', exit: 3, pid: info.pid })
    expect(done.signal).to.equal(undefined)
    expect(done.time.completed).to.be.at.least(done.time.started)
    const got = await call('GET', `/api/shell/${info.id}`)
    expectMatches21('GET', '/api/shell/{id}', 200, got.body)
    const output = await call('GET', `/api/shell/${info.id}/output`)
    expectMatches21('GET', '/api/shell/{id}/output', 200, output.body)
    expect(output.body.data).to.deep.equal({ output: 'out\nerr\n', cursor: 8, size: 8, truncated: false })
    const listed = await call('GET', '/api/shell')
    expectMatches21('GET', '/api/shell', 200, listed.body)
    expect(listed.body.data).to.deep.equal([])

    expect((await call('DELETE', `/api/shell/${info.id}`)).status).to.equal(204)
    const gone = await call('GET', `/api/shell/${info.id}`)
    expect(gone.status).to.equal(404)
    expect(gone.body).to.deep.equal({
      _tag: 'ShellNotFoundError',
      id: info.id,
      message: `Shell command not found: ${info.id}`,
    })
    expectMatches21('GET', '/api/shell/{id}', 404, gone.body)
    await until(() => !existsSync(info.file), 2000, 'the output file removed')
  })

  it('lists the running commands only, oldest first', async () => {
    const { call, ended } = await shellHarness()
    const first = (await call('POST', '/api/shell', { command: 'sleep 30' })).body.data
    const second = (await call('POST', '/api/shell', { command: 'sleep 30' })).body.data
    const quick = (await call('POST', '/api/shell', { command: 'true' })).body.data
    await ended(quick.id)
    const listed = (await call('GET', '/api/shell')).body.data
    expect(listed.map((shell: { id: string }) => shell.id)).to.deep.equal([first.id, second.id])
    for (const shell of [first, second]) await call('DELETE', `/api/shell/${shell.id}`)
    expect((await call('GET', '/api/shell')).body.data).to.deep.equal([])
  })

  it('ends a command at its timeout with status timeout, and a timeout of 0 means none', async () => {
    const { call, ended } = await shellHarness()
    const started = Date.now()
    const slow = (await call('POST', '/api/shell', { command: 'sleep 30', timeout: 200 })).body.data
    const unbounded = (await call('POST', '/api/shell', { command: 'sleep 0.3; echo done', timeout: 0 })).body.data
    const timedOut = await ended(slow.id)
    expect(timedOut.status).to.equal('timeout')
    expect(timedOut).to.not.have.any.keys('exit', 'signal')
    expect(Date.now() - started).to.be.below(5000)
    expect(await ended(unbounded.id)).to.include({ status: 'exited', exit: 0 })
    expect((await call('GET', `/api/shell/${unbounded.id}/output`)).body.data.output).to.equal('done\n')
  })

  it('kills a running command on removal, with what it started, and announces it killed then deleted', async () => {
    const { server, call } = await shellHarness()
    const sse = await openSse(`${await listen(server)}/api/event`)
    const shell = (await call('POST', '/api/shell', { command: 'sleep 30 & sleep 31; echo never' })).body.data
    await until(() => groupMembers(shell.pid).length >= 2, 5000, 'both sleeps running')
    expect((await call('DELETE', `/api/shell/${shell.id}`)).status).to.equal(204)
    await until(() => groupMembers(shell.pid).length === 0, 5000, 'the process group gone')
    const exited = await sse.next((frame) => frame.data?.type === 'shell.exited')
    expect(exited.data.data).to.deep.equal({ id: shell.id, status: 'killed' })
    const deleted = await sse.next((frame) => frame.data?.type === 'shell.deleted')
    expect(deleted.data.data).to.deep.equal({ id: shell.id })
    expect(deleted.data.location).to.deep.equal({ directory: shell.cwd })
    expect(sse.frames.indexOf(exited)).to.be.below(sse.frames.indexOf(deleted))
    expect((await call('GET', `/api/shell/${shell.id}/output`)).status).to.equal(404)
    sse.close()
  })

  it('reports a command ended by a signal with that signal and no exit code', async () => {
    const { call, ended } = await shellHarness()
    const shell = (await call('POST', '/api/shell', { command: 'echo before; kill -TERM $$' })).body.data
    const done = await ended(shell.id)
    expect(done).to.include({ status: 'exited', signal: 'SIGTERM' })
    expect(done).to.not.have.property('exit')
    expect((await call('GET', `/api/shell/${shell.id}/output`)).body.data.output).to.equal('before\n')
  })

  it('publishes shell.created (without pid), shell.exited and shell.deleted on /api/event', async () => {
    const { server, repo, call } = await shellHarness()
    const sse = await openSse(`${await listen(server)}/api/event`)
    const shell = (await call('POST', '/api/shell', { command: 'exit 7', metadata: { k: 'v' } })).body.data
    const created = await sse.next((frame) => frame.data?.type === 'shell.created')
    const { pid: _pid, ...announced } = shell
    expect(created.data).to.deep.include({ type: 'shell.created', location: { directory: repo } })
    expect(created.data.data).to.deep.equal({ info: announced })
    const exited = await sse.next((frame) => frame.data?.type === 'shell.exited')
    expect(exited.data.data).to.deep.equal({ id: shell.id, status: 'exited', exit: 7 })
    await call('DELETE', `/api/shell/${shell.id}`)
    const deleted = await sse.next((frame) => frame.data?.type === 'shell.deleted')
    expect(deleted.data.data).to.deep.equal({ id: shell.id })
    // An ended command's removal announces no second end.
    expect(sse.frames.filter((frame) => frame.data?.type === 'shell.exited')).to.have.length(1)
    sse.close()
  })

  it('runs in a cwd relative to the location or absolute, and refuses one that is missing, a file or outside', async () => {
    const { repo, call, ended } = await shellHarness()
    const relative = (await call('POST', '/api/shell', { command: 'pwd', cwd: 'src' })).body.data
    expect(relative.cwd).to.equal('src')
    await ended(relative.id)
    expect((await call('GET', `/api/shell/${relative.id}/output`)).body.data.output).to.equal(`${repo}/src\n`)
    const elsewhere = tempDir('ok-shell-cwd-')
    const absolute = (await call('POST', '/api/shell', { command: 'pwd', cwd: elsewhere })).body.data
    await ended(absolute.id)
    expect((await call('GET', `/api/shell/${absolute.id}/output`)).body.data.output).to.equal(`${elsewhere}\n`)

    const refusals: [string, string][] = [
      [join(tmpdir(), 'ok-shell-nonexistent'), `Directory does not exist: ${join(tmpdir(), 'ok-shell-nonexistent')}`],
      ['missing', `Directory does not exist: ${repo}/missing`],
      ['README.md', `Not a directory: ${repo}/README.md`],
      ['..', 'A relative cwd must stay inside the location: ..'],
    ]
    for (const [cwd, message] of refusals) {
      const refused = await call('POST', '/api/shell', { command: 'touch made-here', cwd })
      expect(refused.status, cwd).to.equal(400)
      expect(refused.body).to.deep.equal({ _tag: 'InvalidRequestError', message, kind: 'Payload', field: 'cwd' })
      expectMatches21('POST', '/api/shell', 400, refused.body)
    }
    expect((await call('GET', '/api/shell')).body.data).to.deep.equal([])
    expect(existsSync(join(repo, 'made-here'))).to.equal(false)
  })

  it('refuses more running commands per location than the cap, and frees a place when one is removed', async function () {
    this.timeout(30_000)
    const { call } = await shellHarness()
    const other = tempDir('ok-shell-other-')
    const ids: string[] = []
    for (let i = 0; i < 32; i++) ids.push((await call('POST', '/api/shell', { command: 'sleep 30' })).body.data.id)
    const refused = await call('POST', '/api/shell', { command: 'echo one too many' })
    expect(refused.status).to.equal(400)
    expect(refused.body._tag).to.equal('InvalidRequestError')
    expect(refused.body.message).to.match(/Too many running shell commands in this location \(at most 32\)/)
    expectMatches21('POST', '/api/shell', 400, refused.body)
    // Another location has its own places.
    const elsewhere = await call('POST', '/api/shell', { command: 'true' }, other)
    expect(elsewhere.status).to.equal(200)
    await call('DELETE', `/api/shell/${ids.pop()}`)
    const admitted = await call('POST', '/api/shell', { command: 'sleep 30' })
    expect(admitted.status).to.equal(200)
    ids.push(admitted.body.data.id)
    for (const id of ids) await call('DELETE', `/api/shell/${id}`)
    expect((await call('GET', '/api/shell')).body.data).to.deep.equal([])
  })
})
