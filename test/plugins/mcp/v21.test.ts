import { expect } from 'chai'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../../kernel/core/version.js'
import { configured, normalizeConfig } from '../../../plugins/mcp/config.js'
import { cleanup } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'
import { sessionHarness, until, type SessionHarness } from '../../support/session.js'

const FIXTURE = join(PACKAGE_ROOT, 'dist', 'test', 'fixtures', 'mcp', 'server.js')
const local = (extra: Record<string, unknown> = {}) => ({
  type: 'local',
  command: [process.execPath, FIXTURE],
  ...extra,
})
/** The fixture, started only after `ms` (a server that is slow to come up). */
const slowLocal = (seconds: number) => ({
  type: 'local',
  command: ['/bin/sh', '-c', `sleep ${seconds} && exec "$0" "$1"`, process.execPath, FIXTURE],
})

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('plugin: mcp, OpenCode 2.1 routes', () => {
  let h: SessionHarness
  const at = (url: string) => `${url}?location%5Bdirectory%5D=${encodeURIComponent(h.repo)}`
  const call = (method: string, url: string, body?: unknown) => h.call(method, at(url), body)
  const servers = async () => {
    const response = await call('GET', '/api/mcp')
    expect(response.status).to.equal(200)
    expectMatches21('GET', '/api/mcp', 200, response.body)
    return response.body.data as { name: string; status: { status: string; error?: string } }[]
  }
  const mcpEvents = () =>
    h.events.filter((event) => event.type.startsWith('mcp.')).map((event) => [event.type, event.properties])

  before(async function () {
    // A server, a repo and fixtures: slow on a loaded machine.
    this.timeout(60_000)
    h = await sessionHarness({
      extraPlugins: ['config', 'mcp'],
      config: {
        mcp: {
          fixture: local(),
          off: local({ enabled: false }),
          broken: { type: 'local', command: ['/nonexistent/bin'] },
        },
      },
    })
  })
  after(cleanup)

  it('lists the configured servers by name with their status, as v1 sees them', async () => {
    const list = await servers()
    expect(list.map((server) => server.name)).to.deep.equal(['broken', 'fixture', 'off'])
    expect(list[1]).to.deep.equal({ name: 'fixture', status: { status: 'connected' } })
    expect(list[2]).to.deep.equal({ name: 'off', status: { status: 'disabled' } })
    expect(list[0]!.status.status).to.equal('failed')
    expect(list[0]!.status.error).to.match(/ENOENT|spawn/)
    const v1 = (await h.call('GET', '/mcp')).body
    expect(Object.keys(v1).sort()).to.deep.equal(['broken', 'fixture', 'off'])

    const catalog = await call('GET', '/api/mcp/resource')
    expect(catalog.status).to.equal(200)
    expectMatches21('GET', '/api/mcp/resource', 200, catalog.body)
    expect(catalog.body).to.deep.equal({
      location: { directory: h.repo },
      data: {
        resources: [
          {
            server: 'fixture',
            name: 'readme',
            uri: 'fixture://readme',
            description: 'What the fixture is',
            mimeType: 'text/plain',
          },
        ],
        templates: [
          { server: 'fixture', name: 'notes', uriTemplate: 'fixture://notes/{name}', mimeType: 'text/markdown' },
        ],
      },
    })
  })

  it('adds servers at run time, connecting them before answering; failures land in the status', async () => {
    h.events.length = 0
    const added = await call('PUT', '/api/experimental/mcp/extra', {
      config: { ...local(), timeout: { startup: 5000, catalog: 100 }, codemode: true },
    })
    expect(added.status).to.equal(204)
    expect(added.body).to.equal(undefined)
    expect((await servers()).find((server) => server.name === 'extra')).to.deep.equal({
      name: 'extra',
      status: { status: 'connected' },
    })
    expect(mcpEvents()).to.deep.include.members([
      ['mcp.status.changed', { server: 'extra' }],
      ['mcp.resources.changed', { server: 'extra' }],
    ])
    expect((await h.call('GET', '/mcp')).body.extra).to.deep.equal({ status: 'connected' })
    expect((await h.call('GET', '/experimental/tool/ids')).body).to.include('extra_echo')
    expect((await call('GET', '/api/mcp/resource')).body.data.resources.map((r: any) => r.server)).to.deep.equal([
      'extra',
      'fixture',
    ])

    const remote = await call('PUT', '/api/experimental/mcp/far', {
      config: { type: 'remote', url: 'http://127.0.0.1:1/mcp', oauth: false, timeout: { startup: 2000 } },
    })
    expect(remote.status).to.equal(204)
    const far = (await servers()).find((server) => server.name === 'far')!
    expect(far.status.status).to.equal('failed')
    expect(far.status.error).to.be.a('string')

    const disabled = await call('PUT', '/api/experimental/mcp/later', { config: { ...local(), disabled: true } })
    expect(disabled.status).to.equal(204)
    expect((await servers()).find((server) => server.name === 'later')!.status).to.deep.equal({ status: 'disabled' })
  })

  it('shows a server that is still connecting as pending', async () => {
    const adding = call('PUT', '/api/experimental/mcp/slow', { config: { ...slowLocal(1), timeout: 10_000 } })
    await until(async () => (await servers()).some((server) => server.name === 'slow'))
    expect((await servers()).find((server) => server.name === 'slow')!.status).to.deep.equal({ status: 'pending' })
    expect((await adding).status).to.equal(204)
    expect((await servers()).find((server) => server.name === 'slow')!.status).to.deep.equal({ status: 'connected' })
  })

  it('disconnects, reconnects and removes servers; unknown names are 404', async () => {
    const pid = () => h.server.kernel.processes.list().find((entry) => entry.label === 'mcp extra')?.pid
    const before = pid()
    expect(before).to.be.a('number')
    h.events.length = 0
    expect((await call('POST', '/api/experimental/mcp/extra/disconnect')).status).to.equal(204)
    expect((await servers()).find((server) => server.name === 'extra')!.status).to.deep.equal({ status: 'disabled' })
    expect(mcpEvents()).to.deep.include.members([
      ['mcp.status.changed', { server: 'extra' }],
      ['mcp.resources.changed', { server: 'extra' }],
    ])
    expect((await h.call('GET', '/experimental/tool/ids')).body).to.not.include('extra_echo')
    await until(() => !alive(before!))

    // Connecting overrides a disabled config.
    expect((await call('POST', '/api/experimental/mcp/extra/connect')).status).to.equal(204)
    expect((await call('POST', '/api/experimental/mcp/off/connect')).status).to.equal(204)
    const list = await servers()
    expect(list.find((server) => server.name === 'extra')!.status).to.deep.equal({ status: 'connected' })
    expect(list.find((server) => server.name === 'off')!.status).to.deep.equal({ status: 'connected' })

    const running = pid()!
    expect((await call('DELETE', '/api/experimental/mcp/extra')).status).to.equal(204)
    expect((await servers()).map((server) => server.name)).to.not.include('extra')
    expect((await h.call('GET', '/mcp')).body).to.not.have.property('extra')
    await until(() => !alive(running))
    expect((await call('DELETE', '/api/experimental/mcp/broken')).status).to.equal(204)

    for (const [method, url] of [
      ['POST', '/api/experimental/mcp/nope/connect'],
      ['POST', '/api/experimental/mcp/nope/disconnect'],
      ['DELETE', '/api/experimental/mcp/nope'],
      ['DELETE', '/api/experimental/mcp/extra'],
    ] as const) {
      const response = await call(method, url)
      expect(response.status, url).to.equal(404)
      const template = url.replace(/nope|extra/, '{server}')
      expectMatches21(method, template, 404, response.body)
      expect(response.body._tag).to.equal('McpServerNotFoundError')
    }
    expect((await call('POST', '/api/experimental/mcp/nope/connect')).body).to.deep.equal({
      _tag: 'McpServerNotFoundError',
      server: 'nope',
      message: 'MCP server not found: nope',
    })
  })

  it('refuses bad configs with a 400 and changes nothing', async () => {
    const names = (await servers()).map((server) => server.name)
    const bad: unknown[] = [
      {},
      { config: {} },
      { config: { type: 'weird' } },
      { config: { type: 'local', command: [] } },
      { config: { type: 'local', command: 'node' } },
      { config: { type: 'remote', url: 'ftp://example.com' } },
      { config: { type: 'remote' } },
      { config: { ...local(), timeout: { startup: 0 } } },
      { config: { ...local(), protocol: 'v9' } },
    ]
    for (const body of bad) {
      const response = await call('PUT', '/api/experimental/mcp/bad', body)
      expect(response.status, JSON.stringify(body)).to.equal(400)
      expectMatches21('PUT', '/api/experimental/mcp/{server}', 400, response.body)
      expect(response.body._tag).to.equal('InvalidRequestError')
    }
    expect((await call('PUT', '/api/experimental/mcp/a%2Fb', { config: local() })).status).to.equal(400)
    expect((await servers()).map((server) => server.name)).to.deep.equal(names)
  })
})

describe('plugin: mcp, config of either version', () => {
  it('reads 1.x entries and 2.1 `mcp.servers` into the same configs', () => {
    expect(configured({ one: local({ enabled: false, timeout: 900 }) })).to.deep.equal([
      { name: 'one', config: local({ enabled: false, timeout: 900 }) },
    ])
    const v21 = configured({
      timeout: { startup: 1000 },
      servers: {
        two: { ...local(), disabled: true, timeout: { startup: 700, execution: 5 }, protocol: 'auto' },
        three: { type: 'remote', url: 'https://example.com/mcp', oauth: { client_id: 'id', callback_port: 9 } },
        four: { type: 'remote', url: 'ftp://x', disabled: true },
      },
    })
    expect(v21).to.deep.equal([
      { name: 'two', config: { ...local(), enabled: false, timeout: 700 } },
      {
        name: 'three',
        config: { type: 'remote', url: 'https://example.com/mcp', oauth: { clientId: 'id', callbackPort: 9 } },
      },
      { name: 'four', status: { status: 'disabled' } },
    ])
    // A 1.x server named "servers" stays one.
    expect(configured({ servers: local() })).to.deep.equal([{ name: 'servers', config: local() }])
    expect(normalizeConfig({ type: 'remote', url: 'https://x', oauth: false })).to.deep.equal({
      type: 'remote',
      url: 'https://x',
      oauth: false,
    })
  })
})
