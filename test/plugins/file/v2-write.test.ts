import { expect } from 'chai'
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, gitRepo, startServer, tempDir, type TestServer } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

const ROUTE = '/api/experimental/fs/write'

describe('file: POST /api/experimental/fs/write (OpenCode 2.1 experimental.fs.write)', () => {
  let server: TestServer
  let repo: string
  let outside: string
  const write = (path: string | undefined, body: Buffer | string, type: string | null = 'application/octet-stream') =>
    server.app.inject({
      method: 'POST',
      url: `${ROUTE}?location[directory]=${encodeURIComponent(repo)}${path === undefined ? '' : `&path=${encodeURIComponent(path)}`}`,
      headers: type === null ? {} : { 'content-type': type },
      payload: body,
    })

  before(async () => {
    repo = realpathSync(gitRepo({ 'README.md': '# hello\n', 'src/main.ts': 'export const x = 1\n' }))
    outside = tempDir('ok-outside-')
    writeFileSync(join(outside, 'secret.txt'), 'top secret')
    symlinkSync(join(outside, 'secret.txt'), join(repo, 'leak.txt'))
    symlinkSync(join(outside, 'not-yet.txt'), join(repo, 'dangling.txt'))
    symlinkSync(outside, join(repo, 'out-dir'))
    symlinkSync(join(repo, 'README.md'), join(repo, 'readme-link.md'))
    server = await startServer({ cwd: repo, only: ['file'] })
  })
  after(cleanup)

  it('writes the raw body, creating parents, and answers the absolute path', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 10])
    const created = await write('new/deep/blob.bin', bytes)
    expect(created.statusCode).to.equal(200)
    expect(created.json()).to.deep.equal({
      location: { directory: repo },
      data: { path: join(repo, 'new', 'deep', 'blob.bin') },
    })
    expectMatches21('POST', ROUTE, 200, created.json())
    expect(readFileSync(join(repo, 'new', 'deep', 'blob.bin'))).to.deep.equal(bytes)
    // Replaced, not appended to; an absolute path inside the project works too.
    const again = await write(join(repo, 'new', 'deep', 'blob.bin'), 'ok')
    expect(again.json().data.path).to.equal(join(repo, 'new', 'deep', 'blob.bin'))
    expect(readFileSync(join(repo, 'new', 'deep', 'blob.bin'), 'utf8')).to.equal('ok')
    expect((await write('empty.txt', Buffer.alloc(0))).statusCode).to.equal(200)
    expect(readFileSync(join(repo, 'empty.txt'), 'utf8')).to.equal('')
    // A symlink leading inside the project is written through.
    expect((await write('readme-link.md', '# changed\n')).statusCode).to.equal(200)
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).to.equal('# changed\n')
    const read = await server.app.inject({
      url: `/api/fs/read/empty.txt?location[directory]=${encodeURIComponent(repo)}`,
    })
    expect(read.statusCode).to.equal(200)
    expect(read.body).to.equal('')
  })

  it('refuses other content types with 415, writing nothing', async () => {
    for (const type of ['text/plain', 'application/json', 'multipart/form-data; boundary=x', null]) {
      const refused = await write('typed.txt', type === 'application/json' ? '{}' : 'hi', type)
      expect(refused.statusCode, String(type)).to.equal(415)
      expect(refused.json(), String(type)).to.deep.equal({
        _tag: 'UnsupportedMediaTypeError',
        message: `Unsupported content-type: ${type?.split(';')[0] ?? '(none)'}; send the file as application/octet-stream`,
      })
    }
    expect(existsSync(join(repo, 'typed.txt'))).to.equal(false)
  })

  it('refuses every path leading out of the project with 403, creating nothing', async () => {
    const before = readdirSync(outside).sort()
    for (const path of [
      '../escape.txt',
      join(outside, 'abs.txt'),
      'leak.txt',
      'dangling.txt',
      'out-dir/inside-link.txt',
      'out-dir/new/deeper.txt',
      'src/../../escape.txt',
    ]) {
      const refused = await write(path, 'pwned')
      expect(refused.statusCode, path).to.equal(403)
      expect(refused.json(), path).to.deep.include({ _tag: 'ForbiddenError' })
    }
    expect(readdirSync(outside).sort()).to.deep.equal(before)
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).to.equal('top secret')
    expect(existsSync(join(repo, '..', 'escape.txt'))).to.equal(false)
  })

  it('answers bad paths with a precise 400, changing nothing', async () => {
    mkdirSync(join(repo, 'folder'), { recursive: true })
    const cases: [string | undefined, RegExp][] = [
      [undefined, /Missing key/],
      ['', /path/],
      ['folder', /Is a directory: folder/],
      ['.', /Is a directory/],
      ['README.md/inner.txt', /not a directory/],
      ['a\0b', /NUL/],
      ['x'.repeat(5000), /path/],
    ]
    for (const [path, message] of cases) {
      const refused = await write(path, 'data')
      expect(refused.statusCode, String(path).slice(0, 20)).to.equal(400)
      expect(refused.json()._tag).to.equal('InvalidRequestError')
      expect(refused.json().message).to.match(message)
      expectMatches21('POST', ROUTE, 400, refused.json())
    }
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).to.equal('# changed\n')
  })

  it('refuses a body over the limit with 413', async () => {
    const tooBig = await write('big.bin', Buffer.alloc(32 * 1024 * 1024 + 1))
    expect(tooBig.statusCode).to.equal(413)
    expect(tooBig.json()).to.include({ _tag: 'PayloadTooLargeError' })
    expect(existsSync(join(repo, 'big.bin'))).to.equal(false)
  })
})
