import { expect } from 'chai'
import { existsSync, realpathSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { serverUrls } from '../../../plugins/core/server-info.js'
import { cleanup, git, gitRepo, listen, startServer, tempDir, type TestServer } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

const at = (directory: string) => `location%5Bdirectory%5D=${encodeURIComponent(directory)}`

describe('core: OpenCode 2.1 server and location routes', () => {
  let server: TestServer
  let repo: string
  before(async () => {
    repo = realpathSync(gitRepo({ 'src/a.ts': 'x\n' }))
    server = await startServer({ only: ['core'], cwd: repo })
  })
  after(cleanup)

  it("answers /api/info with the OpenCode version its clients accept, and this server's own in a header", async () => {
    const base = await listen(server)
    const response = await fetch(`${base}/api/info`)
    expect(response.status).to.equal(200)
    const body = (await response.json()) as { paths: { tmp: string } }
    expectMatches21('GET', '/api/info', 200, body)
    expect(body).to.deep.equal({
      version: '2.1.2',
      pid: process.pid,
      urls: [base],
      paths: { tmp: body.paths.tmp },
      capabilities: { persistentPty: true },
    })
    expect(existsSync(body.paths.tmp)).to.equal(true)
    expect(response.headers.get('x-opencode-kernel-version')).to.equal(server.kernel.version)
  })

  it('lists every address when listening on all interfaces, as OpenCode does', () => {
    expect(serverUrls(undefined)).to.deep.equal([])
    expect(serverUrls('http://127.0.0.1:4096')).to.deep.equal(['http://127.0.0.1:4096'])
    const external = Object.values(networkInterfaces())
      .flatMap((addresses) => addresses ?? [])
      .filter((address) => !address.internal && address.family === 'IPv4')
      .map((address) => `http://${address.address}:4096`)
    expect(serverUrls('http://0.0.0.0:4096')).to.deep.equal(['http://127.0.0.1:4096', ...external])
    expect(serverUrls('http://[::]:4096')[0]).to.equal('http://[::1]:4096')
  })

  it('answers the location with its project: worktree, and the main worktree as canonical', async () => {
    const sub = await server.app.inject({ url: `/api/location?${at(join(repo, 'src'))}` })
    expect(sub.statusCode).to.equal(200)
    expectMatches21('GET', '/api/location', 200, sub.json())
    const projectID = git(repo, 'rev-list', '--max-parents=0', 'HEAD')
    expect(sub.json()).to.deep.equal({
      directory: join(repo, 'src'),
      project: { id: projectID, directory: repo, canonical: repo },
    })

    const linked = join(tempDir(), 'linked')
    git(repo, 'worktree', 'add', '-q', '-b', 'linked', linked)
    const worktree = await server.app.inject({ url: `/api/location?${at(linked)}` })
    expect(worktree.json()).to.deep.equal({
      directory: linked,
      project: { id: projectID, directory: linked, canonical: repo },
    })

    const plain = realpathSync(tempDir())
    const outside = await server.app.inject({ url: '/api/location', headers: { 'x-opencode-directory': plain } })
    expect(outside.json()).to.deep.equal({
      directory: plain,
      project: { id: 'global', directory: plain, canonical: plain },
    })

    const fallback = await server.app.inject({ url: '/api/location?location%5Bdirectory%5D=' })
    expect(fallback.json().directory).to.equal(repo)
  })

  it('reports the v1 history migration as completed (one store serves every dialect)', async () => {
    const response = await server.app.inject({ url: '/api/experimental/migration/v1' })
    expect(response.statusCode).to.equal(200)
    expect(response.json()).to.deep.equal({ status: 'completed' })
    expectMatches21('GET', '/api/experimental/migration/v1', 200, response.json())
  })
})
