import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { realpathSync } from 'node:fs'
import { cleanup, gitRepo, listen, startServer, tempDir, type TestServer } from '../../support/helper.js'
import { expectMatches21, expectMatchesReference } from '../../support/openapi.js'

describe('core: v2 meta routes', () => {
  let server: TestServer
  let baseUrl: string
  let repo: string
  before(async () => {
    repo = realpathSync(gitRepo())
    server = await startServer({ cwd: repo })
    baseUrl = await listen(server)
  })
  after(cleanup)

  it('answers /api/health bare, as OpenCode', async () => {
    const client = createOpencodeClient({ baseUrl })
    const { data, response } = await client.v2.health.get()
    expect(response.status).to.equal(200)
    expect(data).to.deep.equal({ healthy: true })
    expectMatchesReference('GET', '/api/health', 200, data)
  })

  it("resolves an OpenCode 1.18 client's location in OpenCode 2.1's shape", async () => {
    const other = realpathSync(tempDir())
    const client = createOpencodeClient({ baseUrl })
    const fromQuery = (await client.v2.location.get({ location: { directory: other } }, { throwOnError: true })).data
    expect(fromQuery).to.deep.equal({ directory: other, project: { id: 'global', directory: other, canonical: other } })
    expectMatches21('GET', '/api/location', 200, fromQuery)

    const fromHeader = (
      await createOpencodeClient({ baseUrl, directory: other }).v2.location.get(undefined, { throwOnError: true })
    ).data
    expect(fromHeader?.directory).to.equal(other)

    const fromCwd = (await client.v2.location.get(undefined, { throwOnError: true })).data!
    expect(fromCwd.directory).to.equal(repo)
    expect(fromCwd.project.directory).to.equal(repo)
    expect(fromCwd.project.id).to.not.equal('global')
  })

  it('ignores a plain ?directory= on location routes', async () => {
    const other = realpathSync(tempDir())
    const response = await server.app.inject({ url: `/api/location?directory=${encodeURIComponent(other)}` })
    expect(response.json().directory).to.equal(repo)
  })

  it('answers a bad location with a tagged error, not a 500', async () => {
    const missing = await server.app.inject({ url: '/api/location?location[directory]=/no/such/dir' })
    expect(missing.statusCode).to.equal(404)
    expect(missing.json()).to.include({ _tag: 'LocationNotFoundError' })

    const workspace = await server.app.inject({ url: '/api/location?location[workspace]=nope' })
    expect(workspace.statusCode).to.equal(400)
    expect(workspace.json()._tag).to.equal('InvalidRequestError')
  })

  it('echoes a workspace id in the location (OpenCode 1.18 clients name one)', async () => {
    const response = await server.app.inject({ url: '/api/location?location[workspace]=wrk_abc' })
    expect(response.json()).to.deep.include({ directory: repo, workspaceID: 'wrk_abc' })
  })

  it('answers an unknown /api path with a tagged 404', async () => {
    const response = await server.app.inject({ url: '/api/nothing-here' })
    expect(response.statusCode).to.equal(404)
    expect(response.json()._tag).to.equal('NotFoundError')
  })

  it('asks for the password on /api routes with a tagged 401', async () => {
    const secured = await startServer({ cwd: repo, password: 'sesame' })
    const refused = await secured.app.inject({ url: '/api/health' })
    expect(refused.statusCode).to.equal(401)
    expect(refused.json()).to.deep.equal({ _tag: 'UnauthorizedError', message: 'Authentication required' })
    expectMatchesReference('GET', '/api/health', 401, refused.json())
    const token = Buffer.from('opencode:sesame').toString('base64')
    const allowed = await secured.app.inject({ url: `/api/health?auth_token=${token}` })
    expect(allowed.statusCode).to.equal(200)
  })
})
