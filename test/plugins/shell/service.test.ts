import { expect } from 'chai'
import { existsSync } from 'node:fs'
import { cleanup } from '../../support/helper.js'
import { until } from '../../support/wait.js'
import { groupMembers, shellHarness } from './support.js'

describe('shell: the service other plugins use (app.shells)', () => {
  afterEach(cleanup)

  it('runs a command to its end with extra variables and metadata, and answers its info and output', async () => {
    const { server, repo } = await shellHarness()
    const instance = await server.kernel.instances.get(repo)
    const started: string[] = []
    const { shell, output } = await server.app.shells.run(
      instance,
      { command: 'echo "$GREETING from $PWD"; exit 2', cwd: 'src', env: { GREETING: 'hi' }, metadata: { via: 'test' } },
      { onStart: (info) => started.push(info.status) },
    )
    expect(started).to.deep.equal(['running'])
    expect(shell).to.include({ status: 'exited', exit: 2, cwd: 'src' })
    expect(shell.metadata).to.deep.equal({ via: 'test' })
    const text = `hi from ${repo}/src\n`
    const size = Buffer.byteLength(text)
    expect(output).to.deep.equal({ output: text, cursor: size, size, truncated: false })
    expect(server.app.shells.get(instance, shell.id)).to.deep.equal(shell)
    expect(await server.app.shells.exited(instance, shell.id)).to.deep.equal(shell)
  })

  it('kills the command when the signal aborts, and answers what it wrote so far', async () => {
    const { server, repo } = await shellHarness()
    const instance = await server.kernel.instances.get(repo)
    const controller = new AbortController()
    const running = server.app.shells.run(
      instance,
      { command: 'echo started; sleep 30' },
      { signal: controller.signal, onStart: () => setTimeout(() => controller.abort(), 300) },
    )
    const { shell, output } = await running
    expect(shell.status).to.equal('killed')
    expect(output.output).to.equal('started\n')
    await until(() => groupMembers(shell.pid!).length === 0, 5000, 'the process group gone')
  })

  it('kills a running command with kill() and keeps it, status killed', async () => {
    const { server, repo } = await shellHarness()
    const instance = await server.kernel.instances.get(repo)
    const shell = await server.app.shells.start(instance, { command: 'sleep 30' })
    server.app.shells.kill(instance, shell.id)
    const done = await server.app.shells.exited(instance, shell.id)
    expect(done.status).to.equal('killed')
    // What start answered is a copy: it still says running.
    expect(shell.status).to.equal('running')
    expect(shell.time.completed).to.equal(undefined)
    expect(server.app.shells.list(instance)).to.deep.equal([])
    expect(server.app.shells.get(instance, shell.id).status).to.equal('killed')
  })

  it('ends the commands of a disposed location, removes their output and leaves no process behind', async () => {
    const { server, repo, call } = await shellHarness()
    const running = (await call('POST', '/api/shell', { command: 'sleep 30 & sleep 30' })).body.data
    const quick = (await call('POST', '/api/shell', { command: 'echo kept' })).body.data
    await until(() => groupMembers(running.pid).length >= 2, 5000, 'both sleeps running')
    await until(async () => (await call('GET', `/api/shell/${quick.id}`)).body.data.status === 'exited')
    const instance = await server.kernel.instances.get(repo)
    expect(instance.pinned).to.include(`shell ${running.id}`)
    expect(
      (await server.app.inject({ method: 'POST', url: `/instance/dispose?directory=${repo}` })).statusCode,
    ).to.equal(200)
    // Killed at once; the orphaned `sleep` is reaped by init a moment later.
    await until(() => groupMembers(running.pid).length === 0, 2000, 'the process group gone')
    expect(existsSync(running.file)).to.equal(false)
    expect(existsSync(quick.file)).to.equal(false)
    expect(server.kernel.processes.list().filter((entry) => entry.label === 'shell')).to.deep.equal([])
    expect((await call('GET', `/api/shell/${running.id}`)).status).to.equal(404)
  })

  it('ends every command when the server closes', async () => {
    const { server, call } = await shellHarness()
    const running = (await call('POST', '/api/shell', { command: 'sleep 30' })).body.data
    await server.close()
    await until(() => groupMembers(running.pid).length === 0, 2000, 'the process group gone')
    expect(existsSync(running.file)).to.equal(false)
  })

  it('keeps the 256 newest ended commands of a location and removes older ones with their output', async function () {
    this.timeout(60_000)
    const { server, repo } = await shellHarness()
    const instance = await server.kernel.instances.get(repo)
    const ids: string[] = []
    const files: string[] = []
    for (let batch = 0; batch < 9; batch++) {
      const shells = await Promise.all(
        Array.from({ length: batch < 8 ? 32 : 2 }, () => server.app.shells.start(instance, { command: 'true' })),
      )
      await Promise.all(shells.map((shell) => server.app.shells.exited(instance, shell.id)))
      ids.push(...shells.map((shell) => shell.id))
      files.push(...shells.map((shell) => shell.file))
    }
    expect(ids).to.have.length(258)
    await until(() => !existsSync(files[1]!), 2000, 'the oldest output files removed')
    for (const id of ids.slice(0, 2))
      expect(() => server.app.shells.get(instance, id)).to.throw(/Shell command not found/)
    for (const id of ids.slice(2)) expect(server.app.shells.get(instance, id).status).to.equal('exited')
    expect(existsSync(files[2]!)).to.equal(true)
  })
})
