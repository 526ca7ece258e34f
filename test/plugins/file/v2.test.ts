import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, gitRepo, listen, startServer, tempDir, type TestServer } from '../../support/helper.js'
import { expectMatchesReference } from '../../support/openapi.js'

describe('file: v2 routes', () => {
  let server: TestServer
  let repo: string
  let client: ReturnType<typeof createOpencodeClient>
  const at = () => ({ location: { directory: repo } })
  before(async () => {
    repo = realpathSync(
      gitRepo({
        'README.md': '# hello\n',
        'src/main.ts': 'export const x = 1\n',
        'src/deep/util.ts': 'export {}\n',
        '.gitignore': 'build/\n',
      }),
    )
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

  // The SDK's `v2.fs.read` requests the literal path `/api/fs/read/*` (its options type has no
  // `url`); at run time a `url` option takes its place, which is how a client names the file.
  const read = (
    path: string,
    { location, parseAs }: { location?: { directory: string }; parseAs?: 'arrayBuffer' } = at(),
  ) =>
    client.v2.fs.read<false>({ location }, { url: `/api/fs/read/${path}`, ...(parseAs && { parseAs }) } as Parameters<
      typeof client.v2.fs.read<false>
    >[1])

  it('reads a file as raw bytes with its content type, served inert', async () => {
    const text = await read('src/main.ts')
    expect(text.response.status).to.equal(200)
    expect(new URL(text.request.url).searchParams.get('location[directory]')).to.equal(repo)
    expect(text.data).to.equal('export const x = 1\n')
    expectMatchesReference('GET', '/api/fs/read/*', 200, text.data, 'application/octet-stream')
    expect(text.response.headers.get('content-type')).to.equal('text/plain; charset=utf-8')
    expect(text.response.headers.get('x-content-type-options')).to.equal('nosniff')
    expect(text.response.headers.get('content-security-policy')).to.contain('sandbox')

    const markdown = await read('README.md', {})
    expect(markdown.response.headers.get('content-type')).to.equal('text/markdown; charset=utf-8')
    expect(markdown.data).to.equal('# hello\n')
    const image = await read('logo.png')
    expect(image.response.headers.get('content-type')).to.equal('image/png')
    expect(image.data).to.be.instanceOf(Blob)
    expect(Buffer.from(await (image.data as Blob).arrayBuffer())).to.deep.equal(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]),
    )
    const bytes = await read('src/main.ts', { ...at(), parseAs: 'arrayBuffer' })
    expect(Buffer.from(bytes.data as unknown as ArrayBuffer).toString('utf8')).to.equal('export const x = 1\n')
    const absolute = await read(join(repo, 'README.md').slice(1))
    expect(absolute.data).to.equal('# hello\n')
    // Relative to the location asked for, not to the server's directory.
    const nested = await read('main.ts', { location: { directory: join(repo, 'src') } })
    expect(nested.data).to.equal('export const x = 1\n')

    // Without a `url`, the SDK asks for a file literally named `*`.
    const star = await client.v2.fs.read(at())
    expect(star.response.status).to.equal(404)
    expect(star.error).to.deep.include({ _tag: 'NotFoundError' })
    writeFileSync(join(repo, '*'), 'starred\n')
    try {
      expect((await client.v2.fs.read(at(), { throwOnError: true })).data).to.equal('starred\n')
    } finally {
      rmSync(join(repo, '*'))
    }
  })

  it('refuses paths outside the project with a tagged 403 and missing ones with 404', async () => {
    // (`../` and `%2E%2E/` are resolved by URL parsing before routing; encoded slashes reach the route.)
    for (const path of ['%2E%2E%2F%2E%2E%2Fetc%2Fpasswd', '..%2F..%2Fetc%2Fpasswd', 'leak.txt', '%2Fetc%2Fpasswd']) {
      const response = await read(path)
      expect(response.response.status, path).to.equal(403)
      expect(response.error, path).to.deep.include({ _tag: 'ForbiddenError' })
      expect(JSON.stringify(response.error)).to.not.contain('top secret')
    }
    const longName = await read('a'.repeat(300))
    expect(longName.response.status).to.equal(404)
    const missing = await read('nope.txt')
    expect(missing.response.status).to.equal(404)
    expect(missing.error).to.deep.include({ _tag: 'NotFoundError' })
    const directory = await read('src')
    expect(directory.response.status).to.equal(400)
    expect(directory.error).to.deep.include({ _tag: 'InvalidRequestError' })
    expectMatchesReference('GET', '/api/fs/read/*', 400, directory.error)
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
