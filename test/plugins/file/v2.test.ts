import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, gitRepo, listen, startServer, tempDir, type TestServer } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

describe('file: OpenCode 2.1 filesystem routes (/api/fs/*)', () => {
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
    server = await startServer({ cwd: repo, only: ['file'] })
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
    expectMatches21('GET', '/api/fs/read/*', 200, text.data, 'application/octet-stream')
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
    expect(star.error).to.deep.equal({ _tag: 'FileNotFoundError', path: '*', message: 'File not found: *' })
    writeFileSync(join(repo, '*'), 'starred\n')
    try {
      expect((await client.v2.fs.read(at(), { throwOnError: true })).data).to.equal('starred\n')
    } finally {
      rmSync(join(repo, '*'))
    }
  })

  it('refuses paths outside the project with a tagged 403, and answers 404 FileNotFoundError where no file is', async () => {
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
    expect(missing.error).to.deep.equal({
      _tag: 'FileNotFoundError',
      path: 'nope.txt',
      message: 'File not found: nope.txt',
    })
    expectMatches21('GET', '/api/fs/read/*', 404, missing.error)
    // A directory is no file (OpenCode 2.1 answers 404 too).
    const directory = await read('src')
    expect(directory.response.status).to.equal(404)
    expect(directory.error).to.deep.include({ _tag: 'FileNotFoundError', path: 'src' })
    expectMatches21('GET', '/api/fs/read/*', 404, directory.error)
    // No path at all is no route (OpenCode 2.1: FileNotFoundError with an empty path).
    expect((await server.app.inject({ url: '/api/fs/read/' })).statusCode).to.equal(404)
    const tooLong = await server.app.inject({ url: `/api/fs/read/${'a/'.repeat(2100)}x` })
    expect(tooLong.statusCode).to.equal(400)
    expectMatches21('GET', '/api/fs/read/*', 400, tooLong.json())
  })

  it('validates with ETag and Last-Modified: 304 for a current copy, 200 once the file changed', async () => {
    const url = `/api/fs/read/src/main.ts?location[directory]=${encodeURIComponent(repo)}`
    const first = await server.app.inject({ url })
    const { etag, 'last-modified': lastModified } = first.headers
    expect(etag).to.match(/^W\/"[0-9a-f]+-[0-9a-f]+"$/)
    expect(first.headers['cache-control']).to.equal('no-cache, no-transform')
    expect(first.headers['accept-ranges']).to.equal('bytes')
    for (const match of [etag, `"other", ${etag}`, '*', String(etag).slice(2)]) {
      const again = await server.app.inject({ url, headers: { 'if-none-match': String(match) } })
      expect(again.statusCode, String(match)).to.equal(304)
      expect(again.body).to.equal('')
      expect(again.headers.etag).to.equal(etag)
    }
    expect(
      (await server.app.inject({ url, headers: { 'if-modified-since': String(lastModified) } })).statusCode,
    ).to.equal(304)
    expect((await server.app.inject({ url, headers: { 'if-none-match': '"other"' } })).statusCode).to.equal(200)
    const old = new Date(Date.parse(String(lastModified)) - 60_000).toUTCString()
    expect((await server.app.inject({ url, headers: { 'if-modified-since': old } })).statusCode).to.equal(200)
    expect((await server.app.inject({ url, headers: { 'if-modified-since': 'garbage' } })).statusCode).to.equal(200)
    writeFileSync(join(repo, 'src', 'main.ts'), 'export const x = 22\n')
    try {
      const changed = await server.app.inject({ url, headers: { 'if-none-match': String(etag) } })
      expect(changed.statusCode).to.equal(200)
      expect(changed.body).to.equal('export const x = 22\n')
      expect(changed.headers.etag).to.not.equal(etag)
    } finally {
      writeFileSync(join(repo, 'src', 'main.ts'), 'export const x = 1\n')
    }
  })

  it('serves one byte range (206), 416 past the end, and the whole file for what it does not take', async () => {
    const url = `/api/fs/read/README.md?location[directory]=${encodeURIComponent(repo)}`
    const range = (value: string, extra: Record<string, string> = {}) =>
      server.app.inject({ url, headers: { range: value, ...extra } })
    const head = await range('bytes=0-2')
    expect(head.statusCode).to.equal(206)
    expect(head.body).to.equal('# h')
    expect(head.headers['content-range']).to.equal('bytes 0-2/8')
    expect(head.headers['content-length']).to.equal('3')
    expect(head.headers['content-type']).to.equal('text/markdown; charset=utf-8')
    expect((await range('bytes=-3')).body).to.equal('lo\n')
    expect((await range('bytes=2-')).body).to.equal('hello\n')
    expect((await range('bytes=6-100')).headers['content-range']).to.equal('bytes 6-7/8')
    for (const value of ['bytes=8-', 'bytes=100-200', 'bytes=-0']) {
      const past = await range(value)
      expect(past.statusCode, value).to.equal(416)
      expect(past.headers['content-range'], value).to.equal('bytes */8')
    }
    for (const value of ['bytes=0-1,3-4', 'garbage', 'bytes=5-2', 'items=0-1', 'bytes=-']) {
      const whole = await range(value)
      expect(whole.statusCode, value).to.equal(200)
      expect(whole.body, value).to.equal('# hello\n')
    }
    const etag = String(head.headers.etag)
    expect((await range('bytes=0-2', { 'if-range': etag })).statusCode).to.equal(206)
    expect((await range('bytes=0-2', { 'if-range': '"stale"' })).statusCode).to.equal(200)
    const headOnly = await server.app.inject({ method: 'HEAD', url })
    expect(headOnly.statusCode).to.equal(200)
    expect(headOnly.headers['content-length']).to.equal('8')
    expect(headOnly.body).to.equal('')
  })

  it('streams a file larger than what /file/content takes, ranges included', async () => {
    const big = Buffer.alloc(11 * 1024 * 1024, 'a')
    big.write('THE END', big.length - 7)
    writeFileSync(join(repo, 'big.txt'), big)
    try {
      const url = `/api/fs/read/big.txt?location[directory]=${encodeURIComponent(repo)}`
      const whole = await server.app.inject({ url })
      expect(whole.statusCode).to.equal(200)
      expect(whole.rawPayload.length).to.equal(big.length)
      const tail = await server.app.inject({ url, headers: { range: 'bytes=-7' } })
      expect(tail.body).to.equal('THE END')
    } finally {
      rmSync(join(repo, 'big.txt'))
    }
  })

  it('lists a directory: directories first with a trailing slash, then files, by name', async () => {
    const { data } = await client.v2.fs.list(at(), { throwOnError: true })
    expectMatches21('GET', '/api/fs/list', 200, data)
    expect(data!.location).to.deep.equal({ directory: repo })
    const paths = data!.data.map((entry) => entry.path)
    // `.git/` too, as OpenCode lists it.
    expect(paths.slice(0, 3)).to.deep.equal(['.git/', 'build/', 'src/'])
    expect(paths).to.include.members(['README.md', 'logo.png', '.gitignore'])
    const nested = (await client.v2.fs.list({ ...at(), path: 'src' }, { throwOnError: true })).data!
    expect(nested.data).to.deep.equal([
      { path: 'src/deep/', type: 'directory' },
      { path: 'src/main.ts', type: 'file' },
    ])
    const absolute = (await client.v2.fs.list({ ...at(), path: join(repo, 'src') }, { throwOnError: true })).data!
    expect(absolute.data).to.deep.equal(nested.data)
  })

  it('lists nothing outside the project (403), and answers 404 FileNotFoundError where no directory is', async () => {
    const list = (path: string) =>
      server.app.inject({
        url: `/api/fs/list?location[directory]=${encodeURIComponent(repo)}&path=${encodeURIComponent(path)}`,
      })
    for (const path of ['..', '../..', '/', '/etc', 'src/../..']) {
      const outside = await list(path)
      expect(outside.statusCode, path).to.equal(403)
      expect(outside.json(), path).to.deep.include({ _tag: 'ForbiddenError' })
    }
    const missing = await list('nope')
    expect(missing.statusCode).to.equal(404)
    expect(missing.json()).to.deep.equal({
      _tag: 'FileNotFoundError',
      path: 'nope',
      message: 'Directory not found: nope',
    })
    expectMatches21('GET', '/api/fs/list', 404, missing.json())
    const file = await list('README.md')
    expect(file.statusCode).to.equal(404)
    expect(file.json()).to.deep.include({ _tag: 'FileNotFoundError', path: 'README.md' })
    const tooLong = await list('a'.repeat(5000))
    expect(tooLong.statusCode).to.equal(400)
    expectMatches21('GET', '/api/fs/list', 400, tooLong.json())
  })

  it('finds files fuzzily from the index, .gitignore applied', async () => {
    const { data } = await client.v2.fs.find({ ...at(), query: 'util', type: 'file' }, { throwOnError: true })
    expectMatches21('GET', '/api/fs/find', 200, data)
    expect(data!.data[0]).to.deep.equal({ path: 'src/deep/util.ts', type: 'file' })
    const all = (await client.v2.fs.find({ ...at(), query: 'out' }, { throwOnError: true })).data!
    expect(all.data.map((entry) => entry.path)).to.not.include('build/out.js')
    const dirs = (await client.v2.fs.find({ ...at(), query: 'deep', type: 'directory' }, { throwOnError: true })).data!
    expect(dirs.data[0]).to.deep.equal({ path: 'src/deep/', type: 'directory' })
    for (const query of ['query=x&limit=0', 'query=x&limit=abc', 'query=x&type=link', 'limit=3']) {
      const bad = await server.app.inject({ url: `/api/fs/find?${query}` })
      expect(bad.statusCode, query).to.equal(400)
      expect(bad.json()._tag).to.equal('InvalidRequestError')
      expectMatches21('GET', '/api/fs/find', 400, bad.json())
    }
  })
})
