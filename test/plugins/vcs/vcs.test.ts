import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, git, gitRepo, startServer, tempDir, type TestServer } from '../../support/helper.js'
import { expectMatchesReference } from '../../support/openapi.js'

describe('plugin: vcs', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({ only: ['core', 'vcs'] })
  })
  after(cleanup)

  const get = async (url: string, status = 200) => {
    const response = await server.app.inject({ url })
    expect(response.statusCode, response.body).to.equal(status)
    return response
  }
  const apply = (directory: string, body: unknown) =>
    server.app.inject({ method: 'POST', url: `/vcs/apply?directory=${directory}`, payload: body as object })

  /** A repository with a change of each kind: modified, deleted, staged new, untracked in a folder, binary. */
  function changedRepo(): string {
    const repo = gitRepo({ 'a.txt': 'one\ntwo\nthree\n', 'gone.txt': 'x\ny\n', 'src/keep.ts': 'export {}\n' })
    writeFileSync(join(repo, 'a.txt'), 'one\nTWO\nthree\nfour\n')
    unlinkSync(join(repo, 'gone.txt'))
    writeFileSync(join(repo, 'staged.txt'), 's\n')
    git(repo, 'add', 'staged.txt')
    mkdirSync(join(repo, 'src', 'new'), { recursive: true })
    writeFileSync(join(repo, 'src', 'new', 'untracked.ts'), 'a\nb\nc')
    writeFileSync(join(repo, 'image.bin'), Buffer.from([0, 1, 2, 3, 0, 255]))
    writeFileSync(join(repo, '.gitignore'), 'ignored.log\n')
    writeFileSync(join(repo, 'ignored.log'), 'not listed\n')
    return repo
  }

  describe('GET /vcs', () => {
    it('answers the current branch and the default branch of a git repository', async () => {
      const repo = gitRepo()
      expect((await get(`/vcs?directory=${repo}`)).json()).to.deep.equal({ branch: 'main', default_branch: 'main' })
    })

    it('answers branch null outside git', async () => {
      expect((await get(`/vcs?directory=${tempDir()}`)).json()).to.deep.equal({ branch: null })
    })

    it('publishes vcs.branch.updated when HEAD changes', async () => {
      const repo = gitRepo()
      await server.app.inject({ url: `/vcs?directory=${repo}` })
      await new Promise((resolve) => setTimeout(resolve, 50))
      const seen = new Promise<unknown>((resolve) => {
        const unsubscribe = server.kernel.bus.subscribe((event) => {
          if (event.payload.type !== 'vcs.branch.updated') return
          unsubscribe()
          resolve(event.payload.properties)
        }, repo)
      })
      git(repo, 'checkout', '-q', '-b', 'feature/x')
      expect(await seen).to.deep.equal({ branch: 'feature/x' })
      expect((await get(`/vcs?directory=${repo}`)).json()).to.deep.equal({
        branch: 'feature/x',
        default_branch: 'main',
      })
    })
  })

  describe('GET /vcs/status', () => {
    it('lists every changed file with its line counts, untracked and staged ones included, by path', async () => {
      const repo = changedRepo()
      const body = (await get(`/vcs/status?directory=${repo}`)).json()
      expectMatchesReference('GET', '/vcs/status', 200, body)
      expect(body).to.deep.equal([
        { file: '.gitignore', additions: 1, deletions: 0, status: 'added' },
        { file: 'a.txt', additions: 2, deletions: 1, status: 'modified' },
        { file: 'gone.txt', additions: 0, deletions: 2, status: 'deleted' },
        { file: 'image.bin', additions: 0, deletions: 0, status: 'added' },
        { file: 'src/new/untracked.ts', additions: 3, deletions: 0, status: 'added' },
        { file: 'staged.txt', additions: 1, deletions: 0, status: 'added' },
      ])
    })

    it('gives paths from the repository root when asked from a subdirectory, and leaves the index alone', async () => {
      const repo = changedRepo()
      const before = readFileSync(join(repo, '.git', 'index'))
      const files = (await get(`/vcs/status?directory=${join(repo, 'src')}`))
        .json()
        .map((entry: { file: string }) => entry.file)
      expect(files).to.include('src/new/untracked.ts').and.include('a.txt')
      expect(readFileSync(join(repo, '.git', 'index')).equals(before)).to.equal(true)
      expect(git(repo, 'status', '--porcelain')).to.include('?? src/new/')
    })

    it('answers [] for a clean repository and outside git', async () => {
      expect((await get(`/vcs/status?directory=${gitRepo()}`)).json()).to.deep.equal([])
      expect((await get(`/vcs/status?directory=${tempDir()}`)).json()).to.deep.equal([])
    })

    it('counts files as added in a repository without commits', async () => {
      const repo = tempDir()
      git(repo, 'init', '-q', '-b', 'main')
      writeFileSync(join(repo, 'first.txt'), '1\n2\n')
      const body = (await get(`/vcs/status?directory=${repo}`)).json()
      expect(body).to.deep.equal([{ file: 'first.txt', additions: 2, deletions: 0, status: 'added' }])
    })
  })

  describe('GET /vcs/diff', () => {
    it('gives each changed file its patch against HEAD, the whole file as context by default', async () => {
      const repo = changedRepo()
      const body = (await get(`/vcs/diff?mode=git&directory=${repo}`)).json()
      expectMatchesReference('GET', '/vcs/diff', 200, body)
      expect(body.map((entry: { file: string }) => entry.file)).to.deep.equal([
        '.gitignore',
        'a.txt',
        'gone.txt',
        'image.bin',
        'src/new/untracked.ts',
        'staged.txt',
      ])
      const a = body.find((entry: { file: string }) => entry.file === 'a.txt')
      expect(a).to.include({ additions: 2, deletions: 1, status: 'modified' })
      expect(a.patch.replace(/^index .*\n/m, '')).to.equal(
        'diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,4 @@\n one\n-two\n+TWO\n three\n+four\n',
      )
      const untracked = body.find((entry: { file: string }) => entry.file === 'src/new/untracked.ts')
      expect(untracked.patch)
        .to.include('new file mode 100644')
        .and.include('+++ b/src/new/untracked.ts\n@@ -0,0 +1,3 @@\n+a\n+b\n+c\n\\ No newline at end of file')
      expect(body.find((entry: { file: string }) => entry.file === 'image.bin').patch).to.include(
        'Binary files /dev/null and b/image.bin differ',
      )
      expect(body.find((entry: { file: string }) => entry.file === 'gone.txt')).to.include({ status: 'deleted' })
      const counts = body.map(({ patch: _patch, ...entry }: { patch: string }) => entry)
      expect(counts).to.deep.equal((await get(`/vcs/status?directory=${repo}`)).json())
    })

    it("shows untracked files exactly as git's own patch of them would", async () => {
      const repo = gitRepo()
      const files: Record<string, string | Buffer> = {
        'plain.txt': 'one\ntwo\n',
        'unterminated.txt': 'last line without newline',
        'single.txt': 'x\n',
        'empty.txt': '',
        'crlf.txt': 'a\r\nb\r\n',
        'blob.bin': Buffer.from([1, 0, 2]),
        'with "quote".txt': 'q\n',
        'tab\there.txt': 't\n',
        'ünïcode.txt': 'u\n',
        'with space.txt': 's\n',
      }
      for (const [name, content] of Object.entries(files)) writeFileSync(join(repo, name), content)
      writeFileSync(join(repo, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 })
      symlinkSync('plain.txt', join(repo, 'link'))
      const body = (await get(`/vcs/diff?mode=git&directory=${repo}`)).json() as {
        file: string
        patch: string
        additions: number
      }[]
      expectMatchesReference('GET', '/vcs/diff', 200, body)
      git(repo, 'add', '-N', '.')
      const flags = ['--no-color', '--no-renames', '-U2147483647', '--src-prefix=a/', '--dst-prefix=b/']
      for (const entry of body) {
        const own = execFileSync('git', ['-c', 'core.quotepath=false', 'diff', ...flags, '--', entry.file], {
          cwd: repo,
          encoding: 'utf8',
        })
        expect(entry.patch, entry.file).to.equal(own)
        const [added] = git(repo, 'diff', '--numstat', '--', entry.file).split('\t')
        expect(entry.additions, entry.file).to.equal(added === '-' ? 0 : Number(added))
      }
      expect(body).to.have.length(Object.keys(files).length + 2)
    })

    it('takes the number of context lines', async () => {
      const repo = gitRepo({ 'long.txt': Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n') + '\n' })
      writeFileSync(
        join(repo, 'long.txt'),
        readFileSync(join(repo, 'long.txt'), 'utf8').replace('line 10\n', 'line ten\n'),
      )
      const [entry] = (await get(`/vcs/diff?mode=git&context=0&directory=${repo}`)).json()
      expect(entry.patch).to.match(/@@ -11 \+11 @@ line 9\n-line 10\n\+line ten\n$/)
      const [full] = (await get(`/vcs/diff?mode=git&directory=${repo}`)).json()
      expect(full.patch).to.include(' line 0\n').and.include(' line 19\n')
    })

    it('compares with where the branch left the default branch in mode=branch, and answers [] on the default branch', async () => {
      const repo = gitRepo({ 'base.txt': 'base\n' })
      writeFileSync(join(repo, 'dirty.txt'), 'on main\n')
      expect((await get(`/vcs/diff?mode=branch&directory=${repo}`)).json()).to.deep.equal([])
      rmSync(join(repo, 'dirty.txt'))
      git(repo, 'checkout', '-q', '-b', 'feature')
      writeFileSync(join(repo, 'committed.txt'), 'c\n')
      git(repo, 'add', '.')
      git(repo, 'commit', '-q', '-m', 'feature work')
      git(repo, 'checkout', '-q', 'main')
      writeFileSync(join(repo, 'later-on-main.txt'), 'm\n')
      git(repo, 'add', '.')
      git(repo, 'commit', '-q', '-m', 'main moves on')
      git(repo, 'checkout', '-q', 'feature')
      writeFileSync(join(repo, 'base.txt'), 'base\nchanged\n')
      const body = (await get(`/vcs/diff?mode=branch&directory=${repo}`)).json()
      expectMatchesReference('GET', '/vcs/diff', 200, body)
      expect(body.map((entry: { file: string; status: string }) => [entry.file, entry.status])).to.deep.equal([
        ['base.txt', 'modified'],
        ['committed.txt', 'added'],
      ])
    })

    it('answers 400 BadRequest without a mode, with an unknown mode or a negative context', async () => {
      const repo = gitRepo()
      for (const query of ['', 'mode=svn', 'mode=git&context=-1', 'mode=git&context=lots']) {
        const body = (await get(`/vcs/diff?directory=${repo}&${query}`, 400)).json()
        expectMatchesReference('GET', '/vcs/diff', 400, body)
        expect(body.name).to.equal('BadRequest')
      }
    })

    it('answers [] outside git', async () => {
      expect((await get(`/vcs/diff?mode=git&directory=${tempDir()}`)).json()).to.deep.equal([])
      expect((await get(`/vcs/diff?mode=branch&directory=${tempDir()}`)).json()).to.deep.equal([])
    })
  })

  describe('GET /vcs/diff/raw and POST /vcs/apply', () => {
    it('gives one text/x-diff patch of the uncommitted changes that applies back onto a clean checkout', async () => {
      const repo = changedRepo()
      const response = await get(`/vcs/diff/raw?directory=${repo}`)
      expect(response.headers['content-type']).to.equal('text/x-diff; charset=utf-8')
      const patch = response.body
      expect(patch)
        .to.include('diff --git a/src/new/untracked.ts b/src/new/untracked.ts')
        .and.include('GIT binary patch')
      const before = (await get(`/vcs/status?directory=${repo}`)).json()

      git(repo, 'reset', '-q', '--hard')
      git(repo, 'clean', '-q', '-fdx')
      expect((await get(`/vcs/status?directory=${repo}`)).json()).to.deep.equal([])

      const applied = await apply(repo, { patch })
      expect(applied.statusCode, applied.body).to.equal(200)
      expectMatchesReference('POST', '/vcs/apply', 200, applied.json())
      expect(applied.json()).to.deep.equal({ applied: true })
      expect((await get(`/vcs/status?directory=${repo}`)).json()).to.deep.equal(before)
      expect(readFileSync(join(repo, 'image.bin'))).to.deep.equal(Buffer.from([0, 1, 2, 3, 0, 255]))
    })

    it('answers an empty patch for a clean repository and outside git', async () => {
      expect((await get(`/vcs/diff/raw?directory=${gitRepo()}`)).body).to.equal('')
      const outside = await get(`/vcs/diff/raw?directory=${tempDir()}`)
      expect(outside.body).to.equal('')
      expect(outside.headers['content-type']).to.equal('text/x-diff; charset=utf-8')
    })

    it('applies nothing of a patch when one of its files does not apply (not-clean)', async () => {
      const repo = gitRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n' })
      const patch = [
        'diff --git a/a.txt b/a.txt',
        '--- a/a.txt',
        '+++ b/a.txt',
        '@@ -1 +1 @@',
        '-a',
        '+A',
        'diff --git a/b.txt b/b.txt',
        '--- a/b.txt',
        '+++ b/b.txt',
        '@@ -1 +1 @@',
        '-not what is there',
        '+B',
        '',
      ].join('\n')
      const response = await apply(repo, { patch })
      expect(response.statusCode).to.equal(400)
      const body = response.json()
      expectMatchesReference('POST', '/vcs/apply', 400, body)
      expect(body.name).to.equal('VcsApplyError')
      expect(body.data.reason).to.equal('not-clean')
      expect(body.data.message).to.match(/^Patch can't be applied/)
      expect(readFileSync(join(repo, 'a.txt'), 'utf8')).to.equal('a\n')
      expect(git(repo, 'status', '--porcelain')).to.equal('')
    })

    it('refuses a patch that writes outside the repository, and text that is no patch', async () => {
      const parent = tempDir()
      const repo = join(parent, 'repo')
      mkdirSync(repo)
      git(repo, 'init', '-q', '-b', 'main')
      const escape = [
        'diff --git a/../escaped.txt b/../escaped.txt',
        'new file mode 100644',
        '--- /dev/null',
        '+++ b/../escaped.txt',
        '@@ -0,0 +1 @@',
        '+owned',
        '',
      ].join('\n')
      for (const patch of [escape, 'hello', '']) {
        const response = await apply(repo, { patch })
        expect(response.statusCode, patch).to.equal(400)
        expect(response.json().data.reason).to.equal('not-clean')
      }
      expect(existsSync(join(parent, 'escaped.txt'))).to.equal(false)
    })

    it('answers non-git outside a repository, and 400 for a body without a patch', async () => {
      const response = await apply(tempDir(), { patch: 'diff --git a/x b/x\n' })
      expect(response.statusCode).to.equal(400)
      expectMatchesReference('POST', '/vcs/apply', 400, response.json())
      expect(response.json().data.reason).to.equal('non-git')
      for (const body of [{}, { patch: 5 }, { diff: 'x' }]) {
        const invalid = await apply(gitRepo(), body)
        expect(invalid.statusCode, JSON.stringify(body)).to.equal(400)
        expect(invalid.json().name).to.equal('BadRequest')
      }
    })
  })
})
