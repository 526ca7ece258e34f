import { expect } from 'chai'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { InstanceManager } from '../../kernel/instances/instance.js'
import { cleanup, gitRepo, listen, openSse, startServer, tempDir, type TestServer } from '../support/helper.js'

const FIXTURES = new URL('../fixtures/builtin/', import.meta.url).pathname

describe('kernel: instance routing', () => {
  let server: TestServer
  let cwd: string

  before(async () => {
    cwd = tempDir()
    server = await startServer({
      cwd,
      only: ['core'],
      instanceCapacity: 3,
      pluginDirs: [new URL('../../plugins/', import.meta.url).pathname, FIXTURES],
    })
  })
  after(cleanup)

  it('uses the server working directory when a request names none', async () => {
    const response = await server.app.inject({ url: '/path' })
    expect(response.statusCode).to.equal(200)
    expect(response.json()).to.include({ directory: cwd, worktree: cwd })
  })

  it('reads ?directory=, then X-Directory, then x-opencode-directory (URL-encoded)', async () => {
    const a = tempDir()
    const b = tempDir()
    const c = tempDir()
    expect(
      (
        await server.app.inject({ url: `/path?directory=${encodeURIComponent(a)}`, headers: { 'x-directory': b } })
      ).json().directory,
    ).to.equal(a)
    expect(
      (await server.app.inject({ url: '/path', headers: { 'x-directory': b, 'x-opencode-directory': c } })).json()
        .directory,
    ).to.equal(b)
    expect(
      (await server.app.inject({ url: '/path', headers: { 'x-opencode-directory': encodeURIComponent(c) } })).json()
        .directory,
    ).to.equal(c)
  })

  it('answers 400 for a directory that does not exist, is relative or is a file', async () => {
    for (const directory of [
      '/definitely/not/here',
      'relative/path',
      join(new URL('.', import.meta.url).pathname, 'instance.test.js'),
    ]) {
      const response = await server.app.inject({ url: `/path?directory=${encodeURIComponent(directory)}` })
      expect(response.statusCode, directory).to.equal(400)
      expect(response.json().name).to.equal('BadRequest')
      expect(response.json().data.message).to.be.a('string').and.not.empty
    }
  })

  it('creates one instance per directory even under concurrent first requests', async () => {
    const directory = tempDir()
    const booted: string[] = []
    server.kernel.onInstanceBoot((instance) => booted.push(instance.directory))
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => server.app.inject({ url: `/path?directory=${directory}` })),
    )
    expect(responses.every((response) => response.statusCode === 200)).to.equal(true)
    expect(booted.filter((d) => d === directory)).to.have.length(1)
  })

  it('gives a git repository its worktree and a stable project id from the root commit', async () => {
    const repo = gitRepo()
    const sub = join(repo, 'packages', 'app')
    mkdirSync(sub, { recursive: true })
    const response = await server.app.inject({ url: `/path?directory=${sub}` })
    expect(response.json()).to.include({ directory: sub, worktree: repo })
    const instance = await server.kernel.instances.get(sub)
    expect(instance.project.id).to.match(/^[0-9a-f]{40}$/)
    expect(instance.project.vcs).to.equal('git')
    const other = await server.kernel.instances.get(repo)
    expect(other.project.id).to.equal(instance.project.id)
  })

  it('runs state disposers on POST /instance/dispose and announces it', async () => {
    const directory = tempDir()
    const instance = await server.kernel.instances.get(directory)
    let disposed = 0
    instance.state(
      'test.resource',
      () => ({}),
      () => void disposed++,
    )
    const events: string[] = []
    const unsubscribe = server.kernel.bus.subscribe((event) => events.push(event.payload.type), directory)
    const response = await server.app.inject({ method: 'POST', url: `/instance/dispose?directory=${directory}` })
    unsubscribe()
    expect(response.json()).to.equal(true)
    expect(disposed).to.equal(1)
    expect(events).to.deep.equal(['server.instance.disposed'])
    const fresh = await server.kernel.instances.get(directory)
    expect(fresh).to.not.equal(instance)
  })

  it('ends the /event streams of a disposed instance after the disposed frame', async () => {
    const directory = tempDir()
    const url = await listen(server)
    const stream = await openSse(`${url}/event?directory=${directory}`)
    await stream.next((frame) => frame.data.type === 'server.connected')
    await server.app.inject({ method: 'POST', url: `/instance/dispose?directory=${directory}` })
    await stream.ended
    expect(stream.frames.at(-1)!.data).to.deep.include({ type: 'server.instance.disposed', properties: { directory } })
  })

  it('disposes every instance on POST /global/dispose and publishes global.disposed', async () => {
    const directory = tempDir()
    const instance = await server.kernel.instances.get(directory)
    let disposed = false
    instance.state(
      'test.resource',
      () => ({}),
      () => void (disposed = true),
    )
    const events: string[] = []
    const unsubscribe = server.kernel.bus.subscribe((event) => events.push(`${event.directory}:${event.payload.type}`))
    const response = await server.app.inject({ method: 'POST', url: '/global/dispose' })
    unsubscribe()
    expect(response.json()).to.equal(true)
    expect(disposed).to.equal(true)
    expect(events).to.include(`${directory}:server.instance.disposed`)
    expect(events.at(-1)).to.equal('global:global.disposed')
    expect(server.kernel.instances.size).to.equal(0)
  })

  it('keeps at most the configured number of instances and disposes the least recently used', async () => {
    await server.app.inject({ method: 'POST', url: '/global/dispose' })
    const dirs = [tempDir(), tempDir(), tempDir(), tempDir()]
    const first = await server.kernel.instances.get(dirs[0]!)
    let disposed = false
    first.state(
      'test.resource',
      () => ({}),
      () => void (disposed = true),
    )
    for (const dir of dirs.slice(1)) await server.app.inject({ url: `/path?directory=${dir}` })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(server.kernel.instances.size).to.equal(3)
    expect(server.kernel.instances.has(dirs[0]!)).to.equal(false)
    expect(disposed).to.equal(true)
  })

  it('keeps a pinned (busy) instance beyond capacity, warning, and evicts it once its last pin is released', async () => {
    const overflows: { size: number; pinned: { directory: string; reasons: string[] }[] }[] = []
    const disposed: string[] = []
    const manager = new InstanceManager({
      capacity: 1,
      onBoot: () => {},
      onDispose: async (instance) => void disposed.push(instance.directory),
      onOverCapacity: (size, pinned) => overflows.push({ size, pinned }),
    })
    const [a, b, c] = [tempDir(), tempDir(), tempDir()]
    const busy = await manager.get(a)
    const releaseTurn = busy.pin('session ses_1 running')
    const releaseTerminal = busy.pin('terminal pty_1')
    await manager.get(b)
    expect(manager.has(a)).to.equal(true)
    expect(manager.size).to.equal(2)
    expect(overflows).to.deep.equal([
      { size: 2, pinned: [{ directory: a, reasons: ['session ses_1 running', 'terminal pty_1'] }] },
    ])

    releaseTurn()
    releaseTurn()
    expect(manager.has(a)).to.equal(true)
    releaseTerminal()
    expect(manager.has(a)).to.equal(false)
    expect(manager.size).to.equal(1)
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(disposed).to.deep.equal([a])

    // Idle instances are evicted as before, the least recently used first.
    await manager.get(c)
    expect(manager.has(b)).to.equal(false)
    expect(manager.has(c)).to.equal(true)
  })
})
