import { expect } from 'chai'
import { rmSync } from 'node:fs'
import { cleanup, gitRepo, listen, openSse, startServer, tempDir, type TestServer } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

const at = (directory: string) => `location%5Bdirectory%5D=${encodeURIComponent(directory)}`

describe('kernel: location routes (OpenCode 2.1)', () => {
  let server: TestServer
  let base: string
  let repo: string
  before(async () => {
    repo = gitRepo()
    server = await startServer({ only: ['core'], cwd: repo })
    base = await listen(server)
  })
  after(cleanup)

  const loaded = async (): Promise<string[]> => {
    const response = await server.app.inject({ url: '/api/debug/location' })
    expect(response.statusCode).to.equal(200)
    expectMatches21('GET', '/api/debug/location', 200, response.json())
    return (response.json() as { directory: string }[]).map((location) => location.directory)
  }
  const load = async (directory: string) =>
    expect((await server.app.inject({ url: `/api/location?${at(directory)}` })).statusCode).to.equal(200)

  it('lists the loaded locations', async () => {
    const other = tempDir()
    await load(other)
    expect(await loaded()).to.include(other)
  })

  it('evicts a location with location.shutdown; its next use boots it fresh', async () => {
    const other = tempDir()
    await load(other)
    const before = server.kernel.instances.ready(other)
    const events = await openSse(`${base}/api/event`)
    const evicted = await server.app.inject({ method: 'DELETE', url: `/api/debug/location?${at(other)}` })
    expect(evicted.statusCode).to.equal(204)
    expect(evicted.body).to.equal('')
    const shutdown = await events.next((frame) => frame.data?.type === 'location.shutdown')
    expect(shutdown.data).to.deep.include({ location: { directory: other }, data: {} })
    expect(await loaded()).to.not.include(other)
    await load(other)
    expect(server.kernel.instances.ready(other)).to.not.equal(before)
  })

  it('evicts the default location when none is named', async () => {
    await load(repo)
    expect((await server.app.inject({ method: 'DELETE', url: '/api/debug/location' })).statusCode).to.equal(204)
    expect(await loaded()).to.not.include(repo)
  })

  it('answers 204 for a location that is not loaded, and 400 for garbage, changing nothing', async () => {
    const other = tempDir()
    await load(other)
    const before = await loaded()
    for (const query of [at(tempDir()), at('relative/dir'), at('/no/such/dir')]) {
      const response = await server.app.inject({ method: 'DELETE', url: `/api/debug/location?${query}` })
      expect(response.statusCode, query).to.equal(204)
    }
    for (const query of [at(`${other}\0`), `${at(other)}&${at(other)}`]) {
      const response = await server.app.inject({ method: 'DELETE', url: `/api/debug/location?${query}` })
      expect(response.statusCode, query).to.equal(400)
      expect(response.json()._tag).to.equal('InvalidRequestError')
      expectMatches21('DELETE', '/api/debug/location', 400, response.json())
    }
    expect(await loaded()).to.deep.equal(before)
  })

  it('reloads every loaded location: location.shutdown each, then each booted again', async () => {
    const first = tempDir()
    const second = tempDir()
    const gone = tempDir()
    for (const directory of [first, second, gone]) await load(directory)
    const before = server.kernel.instances.ready(first)
    rmSync(gone, { recursive: true })
    const events = await openSse(`${base}/api/event`)
    const [one, two] = await Promise.all([
      server.app.inject({ method: 'POST', url: '/api/location/reload' }),
      server.app.inject({ method: 'POST', url: '/api/location/reload' }),
    ])
    expect([one.statusCode, two.statusCode]).to.deep.equal([204, 204])
    for (const directory of [first, second, gone])
      await events.next(
        (frame) => frame.data?.type === 'location.shutdown' && frame.data.location?.directory === directory,
      )
    const now = await loaded()
    expect(now).to.include.members([first, second])
    expect(now).to.not.include(gone)
    expect(server.kernel.instances.ready(first)).to.not.equal(before)
  })

  it('needs the password like every /api route', async () => {
    const secured = await startServer({ only: ['core'], password: 'pw' })
    for (const [method, url] of [
      ['GET', '/api/debug/location'],
      ['DELETE', '/api/debug/location'],
      ['POST', '/api/location/reload'],
    ] as const) {
      const response = await secured.app.inject({ method, url })
      expect(response.statusCode, url).to.equal(401)
      expectMatches21(method, url === '/api/location/reload' ? url : '/api/debug/location', 401, response.json())
    }
  })
})
