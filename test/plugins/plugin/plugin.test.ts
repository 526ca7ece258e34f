import { expect } from 'chai'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, gitRepo, startServer, type TestServer } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

/** Writes `node_modules/<name>` with a package.json and an `index.js`. */
function installPackage(project: string, name: string, version: string, source: string): string {
  const dir = join(project, 'node_modules', name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version, type: 'module', main: 'index.js' }))
  writeFileSync(join(dir, 'index.js'), source)
  return dir
}

describe('plugin: GET /api/plugin, POST /api/plugin/check and /api/plugin/update', () => {
  let server: TestServer
  let project: string
  let kernelPackage: string
  const at = () => `location[directory]=${encodeURIComponent(project)}`
  const post = (path: string, payload?: unknown) =>
    server.app.inject({
      method: 'POST',
      url: `${path}?${at()}`,
      ...(payload === undefined ? {} : { payload: payload as object }),
    })

  before(async () => {
    project = gitRepo()
    kernelPackage = installPackage(
      project,
      'acme-kernel-plugin',
      '1.2.3',
      "export default { name: 'acme', register() {} }\n",
    )
    installPackage(project, 'broken-kernel-plugin', '0.1.0', "throw new Error('broken at import')\n")
    installPackage(project, 'opencode-community', '4.5.6', 'export const Community = async () => ({})\n')
    mkdirSync(join(project, '.opencode', 'plugin'), { recursive: true })
    writeFileSync(join(project, '.opencode', 'plugin', 'local.js'), 'export const Local = async () => ({})\n')
    writeFileSync(
      join(project, 'opencode.json'),
      JSON.stringify({ plugin: ['acme-kernel-plugin', 'broken-kernel-plugin', 'opencode-community'] }),
    )
    server = await startServer({ cwd: project, only: ['plugin', 'opencode-host'] })
  })
  after(cleanup)

  it('lists built-in, third-party kernel and OpenCode plugins with their source and state', async () => {
    const response = await server.app.inject({ url: `/api/plugin?${at()}` })
    expect(response.statusCode).to.equal(200)
    const body = response.json()
    expectMatches21('GET', '/api/plugin', 200, body)
    expect(body.location).to.deep.equal({ directory: project })
    const byId = new Map(body.data.map((plugin: { id: string }) => [plugin.id, plugin]))
    expect(byId.get('plugin')).to.deep.include({ source: { type: 'builtin' }, state: { status: 'active' } })
    expect(byId.get('opencode-plugins')).to.deep.include({ source: { type: 'builtin' } })
    expect(byId.get('acme')).to.deep.equal({
      id: 'acme',
      source: { type: 'package', target: 'acme-kernel-plugin', version: '1.2.3' },
      features: { server: true },
      state: { status: 'active' },
    })
    const broken = byId.get('broken-kernel-plugin') as any
    expect(broken.source).to.deep.equal({ type: 'package', target: 'broken-kernel-plugin', version: '0.1.0' })
    expect(broken.state.status).to.equal('failed')
    expect(broken.state.error).to.contain('broken at import')
    expect(byId.get('opencode-community')).to.deep.equal({
      id: 'opencode-community',
      source: { type: 'package', target: 'opencode-community', version: '4.5.6' },
      features: { server: true },
      state: { status: 'active' },
    })
    const local = body.data.find((plugin: any) => plugin.source.type === 'local')
    expect(local).to.deep.include({
      source: { type: 'local', path: join(project, '.opencode', 'plugin', 'local.js') },
      state: { status: 'active' },
    })
  })

  it('checks a package plugin: the version installed now, 400 for what is no package plugin', async () => {
    const manifest = join(kernelPackage, 'package.json')
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('1.2.3', '1.3.0'))
    const one = await post('/api/plugin/check', { target: 'acme-kernel-plugin' })
    expect(one.statusCode).to.equal(200)
    expectMatches21('POST', '/api/plugin/check', 200, one.json())
    expect(one.json().data).to.deep.equal([
      {
        id: 'acme',
        source: { type: 'package', target: 'acme-kernel-plugin', version: '1.3.0' },
        features: { server: true },
        state: { status: 'active' },
      },
    ])
    const all = await post('/api/plugin/check', {})
    expectMatches21('POST', '/api/plugin/check', 200, all.json())
    expect(all.json().data.map((plugin: { id: string }) => plugin.id)).to.include.members(['plugin', 'acme'])
    expect((await post('/api/plugin/check', { target: null })).json().data).to.deep.equal(all.json().data)

    for (const target of ['nope', 'plugin', 'opencode-plugins']) {
      const unknown = await post('/api/plugin/check', { target })
      expect(unknown.statusCode, target).to.equal(400)
      expect(unknown.json()).to.deep.equal({
        _tag: 'InvalidRequestError',
        message: `Plugin package is not in the current server inventory: ${target}`,
        field: 'target',
      })
      expectMatches21('POST', '/api/plugin/check', 400, unknown.json())
    }
    for (const payload of [undefined, { target: 5 }, { target: '' }, []]) {
      const bad = await post('/api/plugin/check', payload)
      expect(bad.statusCode, JSON.stringify(payload)).to.equal(400)
      expect(bad.json()._tag).to.equal('InvalidRequestError')
      expectMatches21('POST', '/api/plugin/check', 400, bad.json())
    }
  })

  it('updates nothing: 204 for no targets, 400 naming the npm command for package plugins', async () => {
    const none = await post('/api/plugin/update', { targets: [] })
    expect(none.statusCode).to.equal(204)
    expect(none.body).to.equal('')
    const refused = await post('/api/plugin/update', { targets: ['acme-kernel-plugin', 'opencode-community'] })
    expect(refused.statusCode).to.equal(400)
    expectMatches21('POST', '/api/plugin/update', 400, refused.json())
    expect(refused.json()).to.include({ _tag: 'InvalidRequestError', field: 'targets' })
    expect(refused.json().message).to.equal(
      `This server does not install plugins: run \`npm update acme-kernel-plugin opencode-community\` in ${project}, then restart the server`,
    )
    const unknown = await post('/api/plugin/update', { targets: ['acme-kernel-plugin', 'nope', 'plugin'] })
    expect(unknown.json()).to.deep.equal({
      _tag: 'InvalidRequestError',
      message: 'Plugin packages are not in the current server inventory: nope, plugin',
      field: 'targets',
    })
    for (const payload of [undefined, {}, { targets: 'acme' }, { targets: [''] }, { targets: [1] }]) {
      const bad = await post('/api/plugin/update', payload)
      expect(bad.statusCode, JSON.stringify(payload)).to.equal(400)
      expect(bad.json()._tag).to.equal('InvalidRequestError')
    }
    // Nothing was touched.
    expect(JSON.parse(readFileSync(join(kernelPackage, 'package.json'), 'utf8')).version).to.equal('1.3.0')
  })

  it('refuses a location that is no absolute directory', async () => {
    const response = await server.app.inject({ url: '/api/plugin?location[directory]=relative' })
    // 400 InvalidRequestError, or OpenCode 2.1's 404 LocationNotFoundError where the kernel answers it.
    expect(response.statusCode).to.be.oneOf([400, 404])
    expectMatches21('GET', '/api/plugin', response.statusCode, response.json())
  })
})
