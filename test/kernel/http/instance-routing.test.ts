import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, gitRepo, startServer, type TestServer } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

describe('kernel: instance routing of bad directories', () => {
  let server: TestServer
  let repo: string
  before(async () => {
    repo = gitRepo()
    server = await startServer({ only: ['core'], cwd: repo })
    // Booted first, so a garbage suffix cannot ride on the synchronous lookup of a running instance.
    expect((await server.app.inject({ url: `/path?directory=${encodeURIComponent(repo)}` })).statusCode).to.equal(200)
  })
  after(cleanup)

  it('answers 400 on v1 routes to a directory with a NUL byte, named twice, or not a directory', async () => {
    const directory = encodeURIComponent(repo)
    const file = join(repo, 'README.md')
    for (const query of [
      `directory=${directory}%00`,
      `directory=${directory}%2500`,
      `directory=%00`,
      `directory=${directory}&directory=${directory}`,
      `directory=relative`,
      `directory=${encodeURIComponent(file)}`,
    ]) {
      const response = await server.app.inject({ url: `/path?${query}` })
      expect(response.statusCode, query).to.equal(400)
      expect(response.json().name, query).to.equal('BadRequest')
    }
    const header = await server.app.inject({ url: '/path', headers: { 'x-opencode-directory': `${repo}%00` } })
    expect(header.statusCode).to.equal(400)
  })

  it("answers OpenCode 2.1's 404 LocationNotFoundError to a relative, missing or non-directory location", async () => {
    const file = join(repo, 'notes.txt')
    writeFileSync(file, 'x')
    for (const directory of ['relative', '/no/such/dir', file]) {
      const response = await server.app.inject({
        url: `/api/location?location%5Bdirectory%5D=${encodeURIComponent(directory)}`,
      })
      expect(response.statusCode, directory).to.equal(404)
      expect(response.json()).to.deep.equal({
        _tag: 'LocationNotFoundError',
        location: { directory },
        message: `Location not found: ${directory}`,
      })
      expectMatches21('GET', '/api/location', 404, response.json())
    }
    const header = await server.app.inject({ url: '/api/location', headers: { 'x-opencode-directory': 'rel' } })
    expect(header.statusCode).to.equal(404)
    expect(header.json().location).to.deep.equal({ directory: 'rel' })
  })

  it('answers 400 to a location with a NUL byte or named twice, never the default location', async () => {
    const directory = encodeURIComponent(repo)
    for (const query of [
      `location%5Bdirectory%5D=${directory}%00`,
      `location[directory]=${directory}&location[directory]=${directory}`,
    ]) {
      const response = await server.app.inject({ url: `/api/location?${query}` })
      expect(response.statusCode, query).to.equal(400)
      expect(response.json()._tag, query).to.equal('InvalidRequestError')
      expectMatches21('GET', '/api/location', 400, response.json())
    }
  })
})
