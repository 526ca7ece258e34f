import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Type } from 'typebox'
import { cleanup, git, gitRepo, listen, startServer, tempDir, type TestServer } from '../../support/helper.js'

/** A PATH holding only git: the built-in searcher must do the work. */
function pathWithoutRg(): string {
  const bin = tempDir('ok-bin-')
  symlinkSync('/usr/bin/git', join(bin, 'git'))
  return bin
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52])

const FILES = {
  '.gitignore': 'ignored/\n*.log\n',
  'README.md': '# readme\n',
  'src/app.ts': 'export function start() {\n  return 1\n}\n',
  'src/util.ts': 'export function helper() {}\n',
  'src/café.ts': 'const x = 1\nconst café = "café"\n',
  'docs/guide.md': 'one\ntwo\nthree\n',
  'old.txt': 'first\nsecond\n',
}

describe('plugin: file', () => {
  let server: TestServer
  let bin: string
  let outside: string

  before(async () => {
    bin = pathWithoutRg()
    server = await startServer({ only: ['core', 'file'], env: { PATH: bin } })
    outside = tempDir('ok-outside-')
    writeFileSync(join(outside, 'secret.txt'), 'SECRET_TOKEN=42\n')
  })
  after(cleanup)

  /** A repository with ignored files and a binary, as most tests want it. */
  function project(extra: Record<string, string> = {}): string {
    const repo = gitRepo({ ...FILES, ...extra })
    writeFileSync(join(repo, 'logo.png'), PNG)
    git(repo, 'add', 'logo.png')
    git(repo, 'commit', '-q', '-m', 'logo')
    mkdirSync(join(repo, 'ignored'))
    writeFileSync(join(repo, 'ignored/skip.ts'), 'export function hidden() {}\n')
    writeFileSync(join(repo, 'debug.log'), 'function in a log\n')
    return repo
  }

  async function get(directory: string, url: string) {
    const separator = url.includes('?') ? '&' : '?'
    const response = await server.app.inject({ url: `${url}${separator}directory=${encodeURIComponent(directory)}` })
    return { status: response.statusCode, body: response.json() }
  }

  describe('GET /find', () => {
    it('answers ripgrep match objects, honours .gitignore, and needs no rg on PATH', async () => {
      expect(readdirSync(bin)).to.deep.equal(['git'])
      const repo = project()
      const { status, body } = await get(repo, `/find?pattern=${encodeURIComponent('function \\w+')}`)
      expect(status).to.equal(200)
      expect(body.map((m: any) => m.path.text).sort()).to.deep.equal(['src/app.ts', 'src/util.ts'])
      expect(body.find((m: any) => m.path.text === 'src/app.ts')).to.deep.equal({
        path: { text: 'src/app.ts' },
        lines: { text: 'export function start() {\n' },
        line_number: 1,
        absolute_offset: 0,
        submatches: [{ match: { text: 'function start' }, start: 7, end: 21 }],
      })
    })

    it('counts offsets in UTF-8 bytes, as ripgrep does', async () => {
      const repo = project()
      const { body } = await get(repo, '/find?pattern=caf%C3%A9')
      expect(body).to.deep.equal([
        {
          path: { text: 'src/café.ts' },
          lines: { text: 'const café = "café"\n' },
          line_number: 2,
          absolute_offset: 12,
          submatches: [
            { match: { text: 'café' }, start: 6, end: 11 },
            { match: { text: 'café' }, start: 15, end: 20 },
          ],
        },
      ])
    })

    it('stops at 100 matches', async () => {
      const repo = project({ 'many.txt': 'hit\n'.repeat(150) })
      const { body } = await get(repo, '/find?pattern=hit')
      expect(body).to.have.length(100)
      expect(body[99].line_number).to.equal(100)
    })

    it('never reads a file through a symlink that leads out of the project', async () => {
      const repo = project()
      symlinkSync(join(outside, 'secret.txt'), join(repo, 'leak.txt'))
      symlinkSync(outside, join(repo, 'leakdir'))
      writeFileSync(join(repo, 'inside.txt'), 'SECRET_TOKEN in the project\n')
      const { body } = await get(repo, '/find?pattern=SECRET_TOKEN')
      expect(body.map((m: any) => m.path.text)).to.deep.equal(['inside.txt'])
    })

    it('rejects a bad or missing pattern with a 400', async () => {
      const repo = project()
      const bad = await get(repo, '/find?pattern=(')
      expect(bad.status).to.equal(400)
      expect(bad.body.name).to.equal('BadRequest')
      expect(bad.body.data.message).to.match(/Invalid regular expression/)
      expect((await get(repo, '/find')).status).to.equal(400)
      expect((await get(repo, '/find?pattern=')).status).to.equal(400)
    })
  })

  describe('GET /find/file', () => {
    it('ranks fuzzy matches of files and directories, leaving ignored files out', async () => {
      const repo = project({ 'foo/bar.ts': '', 'fab.ts': '', 'lib/application/x.ts': '', 'lib/happy.ts': '' })
      const app = (await get(repo, '/find/file?query=app')).body
      expect(app[0]).to.equal('src/app.ts')
      expect(app).to.include('lib/application/')
      expect(app.indexOf('lib/application/x.ts')).to.be.greaterThan(app.indexOf('src/app.ts'))
      expect(app.indexOf('lib/happy.ts')).to.be.greaterThan(app.indexOf('lib/application/x.ts'))
      const fb = (await get(repo, '/find/file?query=fb&dirs=false')).body
      expect(fb.indexOf('foo/bar.ts')).to.be.lessThan(fb.indexOf('fab.ts'))
      const all = (await get(repo, '/find/file?query=s&limit=200')).body
      expect(all).to.not.include('ignored/skip.ts').and.not.include('debug.log').and.not.include('ignored/')
    })

    it('filters by type and dirs, honours limit, and lists directories for an empty query', async () => {
      const repo = project(Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`pages/page${i}.ts`, ''])))
      const files = (await get(repo, '/find/file?query=page&dirs=false&limit=200')).body
      expect(files).to.have.length(15)
      expect(files.every((path: string) => !path.endsWith('/'))).to.equal(true)
      const dirs = (await get(repo, '/find/file?query=s&type=directory')).body
      expect(dirs).to.include('src/').and.include('docs/')
      expect(dirs.every((path: string) => path.endsWith('/'))).to.equal(true)
      expect((await get(repo, '/find/file?query=page')).body).to.have.length(10)
      expect((await get(repo, '/find/file?query=page&limit=3')).body).to.have.length(3)
      expect((await get(repo, '/find/file?query=')).body).to.deep.equal(['docs/', 'pages/', 'src/'])
    })

    it('rejects bad parameters with a 400 naming the field', async () => {
      const repo = project()
      for (const query of ['limit=0', 'limit=201', 'limit=abc', 'type=link', 'dirs=maybe']) {
        const { status, body } = await get(repo, `/find/file?query=a&${query}`)
        expect(status, query).to.equal(400)
        expect(body.data.message, query).to.contain(query.split('=')[0])
      }
      expect((await get(repo, '/find/file')).status).to.equal(400)
    })

    it('sees a new file once file.edited says something changed', async () => {
      const repo = project()
      expect((await get(repo, '/find/file?query=brandnew')).body).to.deep.equal([])
      writeFileSync(join(repo, 'brandnew.ts'), '')
      const instance = await server.kernel.instances.get(repo)
      server.kernel.publish(
        instance,
        { type: 'file.edited', properties: Type.Object({ file: Type.String() }) },
        { file: join(repo, 'brandnew.ts') },
      )
      expect((await get(repo, '/find/file?query=brandnew')).body).to.deep.equal(['brandnew.ts'])
    })
  })

  it('GET /find/symbol answers [] (no language server runs yet) and validates its query', async () => {
    const repo = project()
    expect(await get(repo, '/find/symbol?query=start')).to.deep.equal({ status: 200, body: [] })
    expect((await get(repo, '/find/symbol')).status).to.equal(400)
  })

  describe('GET /file', () => {
    it('lists directories first, then files by name, with .gitignore flags', async () => {
      const repo = project()
      const { status, body } = await get(repo, '/file?path=')
      expect(status).to.equal(200)
      expect(body.map((node: any) => [node.name, node.type, node.ignored])).to.deep.equal([
        ['docs', 'directory', false],
        ['ignored', 'directory', true],
        ['src', 'directory', false],
        ['.gitignore', 'file', false],
        ['debug.log', 'file', true],
        ['logo.png', 'file', false],
        ['old.txt', 'file', false],
        ['README.md', 'file', false],
      ])
      expect(body[0]).to.deep.equal({
        name: 'docs',
        path: 'docs',
        absolute: join(repo, 'docs'),
        type: 'directory',
        ignored: false,
      })
      const src = (await get(repo, '/file?path=src')).body
      expect(src.map((node: any) => node.path)).to.deep.equal(['src/app.ts', 'src/café.ts', 'src/util.ts'])
      expect((await get(repo, '/file?path=.')).body).to.deep.equal(body)
    })

    it('treats a symlinked folder inside the project as a directory, one leading out as a file', async () => {
      const repo = project()
      symlinkSync(join(repo, 'src'), join(repo, 'src-link'))
      symlinkSync(outside, join(repo, 'out-link'))
      const nodes = (await get(repo, '/file?path=')).body
      expect(nodes.find((node: any) => node.name === 'src-link').type).to.equal('directory')
      expect(nodes.find((node: any) => node.name === 'out-link').type).to.equal('file')
      expect((await get(repo, '/file?path=src-link')).body.map((node: any) => node.path)).to.deep.equal([
        'src-link/app.ts',
        'src-link/café.ts',
        'src-link/util.ts',
      ])
    })

    it('answers 404 for a missing path, 400 for a file or no path', async () => {
      const repo = project()
      const missing = await get(repo, '/file?path=nope')
      expect(missing).to.deep.equal({
        status: 404,
        body: { name: 'NotFoundError', data: { message: 'File not found: nope' } },
      })
      expect((await get(repo, '/file?path=README.md')).status).to.equal(400)
      expect((await get(repo, '/file')).status).to.equal(400)
    })

    it('applies .gitignore files outside git too', async () => {
      const plain = tempDir('ok-plain-')
      writeFileSync(join(plain, '.gitignore'), 'build/\n')
      mkdirSync(join(plain, 'build'))
      mkdirSync(join(plain, 'lib'))
      writeFileSync(join(plain, 'lib/.gitignore'), '*.tmp\n')
      writeFileSync(join(plain, 'lib/a.tmp'), '')
      writeFileSync(join(plain, 'lib/a.ts'), 'export const a = 1\n')
      const root = (await get(plain, '/file?path=')).body
      expect(root.map((node: any) => [node.name, node.ignored])).to.deep.equal([
        ['build', true],
        ['lib', false],
        ['.gitignore', false],
      ])
      const lib = (await get(plain, '/file?path=lib')).body
      expect(lib.map((node: any) => [node.name, node.ignored])).to.deep.equal([
        ['.gitignore', false],
        ['a.tmp', true],
        ['a.ts', false],
      ])
      expect((await get(plain, '/find/file?query=a&dirs=false')).body).to.deep.equal(['lib/a.ts'])
      expect((await get(plain, '/find?pattern=const')).body.map((m: any) => m.path.text)).to.deep.equal(['lib/a.ts'])
    })
  })

  describe('GET /file/content', () => {
    it('reads text; a file changed since HEAD also gets diff and patch', async () => {
      const repo = project()
      expect((await get(repo, '/file/content?path=README.md')).body).to.deep.equal({
        type: 'text',
        content: '# readme\n',
      })
      writeFileSync(join(repo, 'old.txt'), 'first\nchanged\n')
      const { body } = await get(repo, '/file/content?path=old.txt')
      expect(body.type).to.equal('text')
      expect(body.content).to.equal('first\nchanged\n')
      expect(body.diff).to.contain('-second').and.contain('+changed')
      expect(body.patch).to.include({ oldFileName: 'old.txt', newFileName: 'old.txt' })
      expect(body.patch.hunks).to.deep.equal([
        { oldStart: 1, oldLines: 2, newStart: 1, newLines: 2, lines: [' first', '-second', '+changed'] },
      ])
      writeFileSync(join(repo, 'fresh.txt'), 'new\n')
      expect((await get(repo, '/file/content?path=fresh.txt')).body).to.deep.equal({ type: 'text', content: 'new\n' })
    })

    it('answers binary files as base64 with a MIME type', async () => {
      const repo = project()
      const png = (await get(repo, '/file/content?path=logo.png')).body
      expect(png).to.deep.equal({
        type: 'binary',
        content: PNG.toString('base64'),
        encoding: 'base64',
        mimeType: 'image/png',
      })
      writeFileSync(join(repo, 'latin1.dat'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]))
      const latin1 = (await get(repo, '/file/content?path=latin1.dat')).body
      expect(latin1).to.deep.include({ type: 'binary', encoding: 'base64', mimeType: 'application/octet-stream' })
      expect(Buffer.from(latin1.content, 'base64')).to.deep.equal(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]))
    })

    it('refuses directories, FIFOs and files over 10 MB with a 400, missing files with a 404', async () => {
      const repo = project()
      expect((await get(repo, '/file/content?path=src')).body).to.deep.equal({
        name: 'BadRequest',
        data: { message: 'Is a directory: src' },
      })
      writeFileSync(join(repo, 'huge.txt'), '')
      truncateSync(join(repo, 'huge.txt'), 11 * 1024 * 1024)
      const huge = await get(repo, '/file/content?path=huge.txt')
      expect(huge.status).to.equal(400)
      expect(huge.body.data.message).to.match(/^File too large: huge.txt is 11.0 MB; the limit is 10 MB$/)
      execFileSync('mkfifo', [join(repo, 'pipe')])
      expect((await get(repo, '/file/content?path=pipe')).body).to.deep.equal({
        name: 'BadRequest',
        data: { message: 'Not a regular file: pipe' },
      })
      expect((await get(repo, '/file/content?path=missing.txt')).status).to.equal(404)
      expect((await get(repo, '/file/content')).status).to.equal(400)
    })
  })

  describe('GET /file/status', () => {
    it('lists modified, added and deleted files with line counts', async () => {
      const repo = project()
      writeFileSync(join(repo, 'old.txt'), 'first\nchanged\nthird\n') // 1 line changed, 1 added
      rmSync(join(repo, 'docs/guide.md')) // 3 lines removed
      writeFileSync(join(repo, 'notes.txt'), 'a\nb\nc') // untracked, no final newline
      writeFileSync(join(repo, 'staged.ts'), 'x\ny\n')
      git(repo, 'add', 'staged.ts')
      writeFileSync(join(repo, 'blob.bin'), Buffer.from([1, 0, 2])) // binary: no line counts
      writeFileSync(join(repo, 'more.log'), 'ignored\n')
      const { status, body } = await get(repo, '/file/status')
      expect(status).to.equal(200)
      const byPath = [...body].sort((a: any, b: any) => a.path.localeCompare(b.path))
      expect(byPath).to.deep.equal([
        { path: 'blob.bin', added: 0, removed: 0, status: 'added' },
        { path: 'docs/guide.md', added: 0, removed: 3, status: 'deleted' },
        { path: 'notes.txt', added: 3, removed: 0, status: 'added' },
        { path: 'old.txt', added: 2, removed: 1, status: 'modified' },
        { path: 'staged.ts', added: 2, removed: 0, status: 'added' },
      ])
    })

    it('answers [] for a clean tree and outside git, and counts a repository without commits', async () => {
      expect((await get(project(), '/file/status')).body).to.deep.equal([])
      const plain = tempDir('ok-plain-')
      writeFileSync(join(plain, 'a.txt'), 'a\n')
      expect(await get(plain, '/file/status')).to.deep.equal({ status: 200, body: [] })
      const fresh = tempDir('ok-fresh-')
      git(fresh, 'init', '-q', '-b', 'main')
      writeFileSync(join(fresh, 'a.txt'), 'a\nb\n')
      git(fresh, 'add', 'a.txt')
      writeFileSync(join(fresh, 'b.txt'), 'b\n')
      const { body } = await get(fresh, '/file/status')
      expect([...body].sort((a: any, b: any) => a.path.localeCompare(b.path))).to.deep.equal([
        { path: 'a.txt', added: 2, removed: 0, status: 'added' },
        { path: 'b.txt', added: 1, removed: 0, status: 'added' },
      ])
    })

    it('gives paths relative to a subdirectory instance', async () => {
      const repo = project()
      writeFileSync(join(repo, 'src/app.ts'), 'changed\n')
      writeFileSync(join(repo, 'README.md'), 'changed\n')
      const { body } = await get(join(repo, 'src'), '/file/status')
      expect(body.map((info: any) => info.path).sort()).to.deep.equal(['../README.md', 'app.ts'])
    })
  })

  it('serves the official client (`@opencode-ai/sdk/v2`) over real HTTP', async () => {
    const repo = project()
    writeFileSync(join(repo, 'old.txt'), 'first\nchanged\n')
    const client = createOpencodeClient({ baseUrl: await listen(server), directory: repo })
    const text = await client.find.text({ pattern: 'helper' }, { throwOnError: true })
    expect(text.data.map((match) => [match.path.text, match.line_number])).to.deep.equal([['src/util.ts', 1]])
    expect((await client.find.files({ query: 'util', dirs: 'false' }, { throwOnError: true })).data).to.deep.equal([
      'src/util.ts',
    ])
    expect((await client.find.symbols({ query: 'start' }, { throwOnError: true })).data).to.deep.equal([])
    expect(
      (await client.file.list({ path: 'src' }, { throwOnError: true })).data.map((node) => node.name),
    ).to.deep.equal(['app.ts', 'café.ts', 'util.ts'])
    const read = await client.file.read({ path: 'old.txt' }, { throwOnError: true })
    expect(read.data).to.deep.include({ type: 'text', content: 'first\nchanged\n' })
    expect(read.data.patch?.hunks).to.have.length(1)
    expect((await client.file.status({}, { throwOnError: true })).data).to.deep.equal([
      { path: 'old.txt', added: 1, removed: 1, status: 'modified' },
    ])
    const denied = await client.file.read({ path: '../x' })
    expect(denied.response.status).to.equal(403)
  })

  describe('path confinement', () => {
    const forbidden = (given: string) => ({
      status: 403,
      body: { name: 'ForbiddenError', data: { message: `Access denied: path is outside the project: ${given}` } },
    })

    it('refuses .. and absolute paths that leave the project, on every path route', async () => {
      const repo = project()
      for (const route of ['/file', '/file/content']) {
        for (const given of [
          '..',
          '../',
          '../../etc/passwd',
          'src/../../x',
          '/etc/passwd',
          join(outside, 'secret.txt'),
        ]) {
          expect(await get(repo, `${route}?path=${encodeURIComponent(given)}`), `${route} ${given}`).to.deep.equal(
            forbidden(given),
          )
        }
      }
      expect((await get(repo, '/file/content?path=src/../README.md')).body.content).to.equal('# readme\n')
      expect(
        (await get(repo, `/file/content?path=${encodeURIComponent(join(repo, 'README.md'))}`)).body.content,
      ).to.equal('# readme\n')
    })

    it('refuses symlinks whose real path is outside, even for paths that do not exist there', async () => {
      const repo = project()
      symlinkSync(join(outside, 'secret.txt'), join(repo, 'leak.txt'))
      symlinkSync(outside, join(repo, 'leakdir'))
      symlinkSync(join(repo, 'README.md'), join(repo, 'readme-link'))
      expect(await get(repo, '/file/content?path=leak.txt')).to.deep.equal(forbidden('leak.txt'))
      expect(await get(repo, '/file/content?path=leakdir/secret.txt')).to.deep.equal(forbidden('leakdir/secret.txt'))
      expect(await get(repo, '/file/content?path=leakdir/missing.txt')).to.deep.equal(forbidden('leakdir/missing.txt'))
      expect(await get(repo, '/file?path=leakdir')).to.deep.equal(forbidden('leakdir'))
      expect((await get(repo, '/file/content?path=readme-link')).body.content).to.equal('# readme\n')
    })

    it('lets a subdirectory instance reach the rest of its worktree, and no further', async () => {
      const repo = project()
      const sub = join(repo, 'src')
      expect((await get(sub, '/file/content?path=../README.md')).body.content).to.equal('# readme\n')
      expect((await get(sub, '/file?path=..')).status).to.equal(200)
      expect(await get(sub, '/file?path=../..')).to.deep.equal(forbidden('../..'))
      expect((await get(sub, '/file?path=')).body.map((node: any) => node.path)).to.deep.equal([
        'app.ts',
        'café.ts',
        'util.ts',
      ])
    })

    it('refuses a NUL in a path with a 400', async () => {
      const repo = project()
      expect((await get(repo, '/file/content?path=README.md%00.txt')).status).to.equal(400)
    })
  })
})
