import { expect } from 'chai'
import { KERNEL_VERSION } from '../../../kernel/core/version.js'
import { cleanup, startServer, tempDir, type TestServer } from '../../support/helper.js'

describe('plugin: core', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({ only: ['core'] })
  })
  after(cleanup)

  it("GET /global/health answers OpenCode 1.18's {healthy, version}; GET /global/node which server this is", async () => {
    const response = await server.app.inject({ url: '/global/health' })
    expect(response.json()).to.deep.equal({ healthy: true, version: KERNEL_VERSION })
    const cluster = server.kernel.cluster
    // The run's backend: a cluster node on PostgreSQL, or this process on SQLite.
    const node = cluster
      ? { id: cluster.nodeId, backend: 'postgres', instances: [], database: 'reachable' }
      : { id: `pid_${process.pid}`, backend: 'sqlite', instances: [] }
    expect((await server.app.inject({ url: '/global/node' })).json()).to.deep.equal(node)
  })

  it('answers the start-up questions of OpenCode clients: capabilities, console (workspaces: plugin workspace)', async () => {
    const directory = tempDir()
    expect(
      (await server.app.inject({ url: `/experimental/capabilities?directory=${directory}` })).json(),
    ).to.deep.equal({ backgroundSubagents: true })
    expect((await server.app.inject({ url: `/experimental/console?directory=${directory}` })).json()).to.deep.equal({
      consoleManagedProviders: [],
      switchableOrgCount: 0,
    })
  })

  it('GET /path answers home, state, config, worktree and directory', async () => {
    const directory = tempDir()
    const body = (await server.app.inject({ url: `/path?directory=${directory}` })).json()
    expect(Object.keys(body).sort()).to.deep.equal(['config', 'directory', 'home', 'state', 'worktree'])
    expect(body.directory).to.equal(directory)
    expect(body.config).to.equal(`${server.configHome}/opencode`)
  })

  it('POST /log writes a valid entry and rejects an unknown level', async () => {
    const ok = await server.app.inject({
      method: 'POST',
      url: '/log',
      payload: { service: 'tui', level: 'warn', message: 'hello', extra: { a: 1 } },
    })
    expect(ok.statusCode).to.equal(200)
    expect(ok.json()).to.equal(true)
    const bad = await server.app.inject({
      method: 'POST',
      url: '/log',
      payload: { service: 'tui', level: 'fatal', message: 'x' },
    })
    expect(bad.statusCode).to.equal(400)
  })
})
