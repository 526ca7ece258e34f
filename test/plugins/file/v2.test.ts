import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, gitRepo, listen, startServer, tempDir, type TestServer } from '../../helper.js'
import { expectMatchesReference } from '../../openapi.js'

describe('file: v2 routes', () => {
  let server: TestServer
  let repo: string
  let client: ReturnType<typeof createOpencodeClient>
  const at = () => ({ location: { directory: repo } })
  before(async () => {
    repo = realpathSync(gitRepo({ 'README.md': '# hello\n', 'src/main.ts': 'export const x = 1\n', 'src/deep/util.ts': 'export {}\n', '.gitignore': 'build/\n' }))
    mkdirSync(join(repo, 'build'))
    writeFileSync(join(repo, 'build', 'out.js'), 'x')
    writeFileSync(join(repo, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]))
    const outside = tempDir()
    writeFileSync(join(outside, 'secret.txt'), 'top secret')
    symlinkSync(join(outside, 'secret.txt'), join(repo, 'leak.txt'))
    server = await startServer({ cwd: repo })
    client = createOpencodeClient({ baseUrl: await listen(server) })
  })
  after(cleanup)

  it('reads a file as raw bytes with its content type, served inert', async () => {
    const text = await server.app.inject({ url: `/api/fs/read/src/main.ts?location[directory]=${encodeURIComponent(repo)}` })
    expect(text.statusCode).to.equal(200)
    expect(text.body).to.equal('export const x = 1\n')
    expect(text.headers['content-type']).to.equal('text/plain; charset=utf-8')
    expect(text.headers['x-content-type-options']).to.equal('nosniff')
    expect(text.headers['content-security-policy']).to.contain('sandbox')

    const markdown = await server.app.inject({ url: '/api/fs/read/README.md' })
    expect(markdown.headers['content-type']).to.equal('text/markdown; charset=utf-8')
    const image = await server.app.inject({ url: '/api/fs/read/logo.png' })
    expect(image.headers['content-type']).to.equal('image/png')
    expect(image.rawPayload.length).to.equal(8)
    const absolute = await server.app.inject({ url: `/api/fs/read${join(repo, 'README.md')}` })
    expect(absolute.body).to.equal('# hello\n')
  })

  it('refuses paths outside the project with a tagged 403 and missing ones with 404', async () => {
    // (`../` and `%2E%2E/` are resolved by URL parsing before routing; encoded slashes reach the route.)
    for (const path of ['%2E%2E%2F%2E%2E%2Fetc%2Fpasswd', '..%2F..%2Fetc%2Fpasswd', 'leak.txt', '%2Fetc%2Fpasswd']) {
      const response = await server.app.inject({ url: `/api/fs/read/${path}` })
      expect(response.statusCode, path).to.equal(403)
      expect(response.json()._tag).to.equal('ForbiddenError')
      expect(response.body).to.not.contain('top secret')
    }
    const longName = await server.app.inject({ url: `/api/fs/read/${'a'.repeat(300)}` })
    expect(longName.statusCode).to.equal(404)
    const missing = await server.app.inject({ url: '/api/fs/read/nope.txt' })
    expect(missing.statusCode).to.equal(404)
    expect(missing.json()._tag).to.equal('NotFoundError')
    const directory = await server.app.inject({ url: '/api/fs/read/src' })
    expect(directory.statusCode).to.equal(400)
    expect(directory.json()._tag).to.equal('InvalidRequestError')
  })

  it('lists a directory: directories first with a trailing slash, then files, by name', async () => {
    const { data } = await client.v2.fs.list(at(), { throwOnError: true })
    expectMatchesReference('GET', '/api/fs/list', 200, data)
    const paths = data!.data.map((entry) => entry.path)
    expect(paths.slice(0, 2)).to.deep.equal(['build/', 'src/'])
    expect(paths).to.include.members(['README.md', 'logo.png', '.gitignore'])
    const nested = (await client.v2.fs.list({ ...at(), path: 'src' }, { throwOnError: true })).data!
    expect(nested.data).to.deep.equal([
      { path: 'src/deep/', type: 'directory' },
      { path: 'src/main.ts', type: 'file' },
    ])
    const outside = await server.app.inject({ url: '/api/fs/list?path=..' })
    expect(outside.statusCode).to.equal(403)
  })

  it('finds files fuzzily from the index, .gitignore applied', async () => {
    const { data } = await client.v2.fs.find({ ...at(), query: 'util', type: 'file' }, { throwOnError: true })
    expectMatchesReference('GET', '/api/fs/find', 200, data)
    expect(data!.data[0]).to.deep.equal({ path: 'src/deep/util.ts', type: 'file' })
    const all = (await client.v2.fs.find({ ...at(), query: 'out' }, { throwOnError: true })).data!
    expect(all.data.map((entry) => entry.path)).to.not.include('build/out.js')
    const dirs = (await client.v2.fs.find({ ...at(), query: 'deep', type: 'directory' }, { throwOnError: true })).data!
    expect(dirs.data[0]).to.deep.equal({ path: 'src/deep/', type: 'directory' })
    const bad = await server.app.inject({ url: '/api/fs/find?query=x&limit=0' })
    expect(bad.statusCode).to.equal(400)
    expect(bad.json()._tag).to.equal('InvalidRequestError')
  })
})
