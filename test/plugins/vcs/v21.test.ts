import { expect } from 'chai'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, git, gitRepo, startServer, tempDir, type TestServer } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

const location = (directory: string) => `location%5Bdirectory%5D=${encodeURIComponent(directory)}`

async function vcsServer() {
  const server = await startServer({ only: ['core', 'vcs'] })
  /** GET `path` at `directory`: the status and body, checked against 2.1.2's document. */
  const get = async (path: string, directory: string, query = '') => {
    const response = await server.app.inject({ url: `/api${path}?${location(directory)}${query}` })
    const body = response.json()
    expectMatches21('GET', `/api${path}`, response.statusCode, body)
    return { status: response.statusCode, body }
  }
  return { server, get }
}

const lines = (count: number) => Array.from({ length: count }, (_, i) => `line ${i + 1}`).join('\n') + '\n'

describe('vcs: OpenCode 2.1', () => {
  let server: TestServer
  let get: Awaited<ReturnType<typeof vcsServer>>['get']
  before(async () => ({ server, get } = await vcsServer()))
  after(cleanup)

  it('GET /api/vcs answers the provider and the branches in a location envelope; {branch: {}} outside git', async () => {
    const repo = gitRepo()
    const info = await get('/vcs', repo)
    expect(info).to.deep.equal({
      status: 200,
      body: { location: { directory: repo }, data: { provider: 'git', branch: { current: 'main', default: 'main' } } },
    })
    const plain = tempDir()
    expect((await get('/vcs', plain)).body).to.deep.equal({ location: { directory: plain }, data: { branch: {} } })
    git(repo, 'checkout', '-q', '--detach')
    expect((await get('/vcs', repo)).body.data.branch).to.deep.equal({ default: 'main' })
  })

  it('GET /api/vcs/base: the default branch on it, the reflog elsewhere, 503 when ambiguous, null without a base', async () => {
    const repo = gitRepo()
    expect((await get('/vcs/base', repo)).body.data).to.deep.equal({
      name: 'main',
      ref: 'refs/heads/main',
      source: 'default',
    })
    git(repo, 'branch', 'feature', 'main')
    git(repo, 'checkout', '-q', 'feature')
    expect((await get('/vcs/base', repo)).body.data).to.deep.equal({
      name: 'main',
      ref: 'refs/heads/main',
      source: 'reflog',
    })
    git(repo, 'checkout', '-q', '-b', 'from-head')
    const ambiguous = await get('/vcs/base', repo)
    expect(ambiguous.status).to.equal(503)
    expect(ambiguous.body).to.deep.equal({
      _tag: 'ServiceUnavailableError',
      message: 'Choose a review base',
      service: 'vcs',
    })
    git(repo, 'checkout', '-q', '--detach')
    expect((await get('/vcs/base', repo)).body.data).to.equal(null)

    const empty = tempDir()
    git(empty, 'init', '-q', '-b', 'main')
    expect((await get('/vcs/base', empty)).body.data).to.equal(null)
    expect((await get('/vcs/base', tempDir())).body.data).to.equal(null)
  })

  it('GET /api/vcs/branch lists local and remote branches by name, with search and limit', async () => {
    const repo = gitRepo()
    git(repo, 'branch', 'Feature-A')
    git(repo, 'branch', 'fix-b')
    git(repo, 'update-ref', 'refs/remotes/origin/release', 'HEAD')
    git(repo, 'symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/release')
    expect((await get('/vcs/branch', repo)).body.data).to.deep.equal(['Feature-A', 'fix-b', 'main', 'origin/release'])
    expect((await get('/vcs/branch', repo, '&search=fEaT')).body.data).to.deep.equal(['Feature-A'])
    expect((await get('/vcs/branch', repo, '&limit=2')).body.data).to.deep.equal(['Feature-A', 'fix-b'])
    expect((await get('/vcs/branch', tempDir())).body.data).to.deep.equal([])
    for (const query of ['&limit=0', '&limit=-1', '&limit=abc']) {
      const response = await get('/vcs/branch', repo, query)
      expect(response.status, query).to.equal(400)
      expect(response.body._tag).to.equal('InvalidRequestError')
    }
  })

  it('GET /api/vcs/status lists changed files with counts, untracked ones as added', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n', 'gone.txt': 'x\ny\n' })
    writeFileSync(join(repo, 'a.txt'), 'a\nb\n')
    rmSync(join(repo, 'gone.txt'))
    writeFileSync(join(repo, 'new.txt'), 'n\n')
    expect((await get('/vcs/status', repo)).body.data).to.deep.equal([
      { file: 'a.txt', additions: 1, deletions: 0, status: 'modified' },
      { file: 'gone.txt', additions: 0, deletions: 2, status: 'deleted' },
      { file: 'new.txt', additions: 1, deletions: 0, status: 'added' },
    ])
    expect((await get('/vcs/status', tempDir())).body.data).to.deep.equal([])
  })

  it('GET /api/vcs/diff?mode=working: HEAD to the working copy, whole files unless context says', async () => {
    const repo = gitRepo({ 'n.txt': lines(30) })
    writeFileSync(join(repo, 'n.txt'), lines(30).replace('line 15\n', 'XV\n'))
    writeFileSync(join(repo, 'u.txt'), 'u\n')
    const whole = (await get('/vcs/diff', repo, '&mode=working')).body.data
    expect(whole.map((file: { file: string }) => file.file)).to.deep.equal(['n.txt', 'u.txt'])
    expect(whole[0]).to.include({ additions: 1, deletions: 1, status: 'modified' })
    expect(whole[0].patch).to.contain('@@ -1,30 +1,30 @@')
    expect(whole[1]).to.include({ additions: 1, deletions: 0, status: 'added' })
    const tight = (await get('/vcs/diff', repo, '&mode=working&context=1')).body.data
    expect(tight[0].patch).to.contain('@@ -14,3 +14,3 @@')
  })

  it('GET /api/vcs/diff?mode=branch|committed compares with the merge base of the default branch or of `base`', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n' })
    git(repo, 'checkout', '-q', '-b', 'feature')
    writeFileSync(join(repo, 'c.txt'), 'c1\n')
    git(repo, 'add', 'c.txt')
    git(repo, 'commit', '-q', '-m', 'c1')
    writeFileSync(join(repo, 'c.txt'), 'c1\nw\n')
    writeFileSync(join(repo, 'u.txt'), 'u\n')

    const branch = (await get('/vcs/diff', repo, '&mode=branch')).body.data
    expect(branch.map((file: any) => [file.file, file.status, file.additions])).to.deep.equal([
      ['c.txt', 'added', 2],
      ['u.txt', 'added', 1],
    ])
    const committed = (await get('/vcs/diff', repo, '&mode=committed')).body.data
    expect(committed.map((file: any) => [file.file, file.status, file.additions])).to.deep.equal([
      ['c.txt', 'added', 1],
    ])
    expect(committed[0].patch).to.contain('+c1\n').and.not.to.contain('+w')
    expect((await get('/vcs/diff', repo, '&mode=committed&base=feature')).body.data).to.deep.equal([])

    expect((await get('/vcs/diff', tempDir(), '&mode=branch')).body.data).to.deep.equal([])
  })

  it('GET /api/vcs/diff refuses a missing or unknown mode, an unknown base and a negative context', async () => {
    const repo = gitRepo()
    for (const query of ['', '&mode=git', '&mode=working&context=-1', '&mode=working&context=x']) {
      const response = await get('/vcs/diff', repo, query)
      expect(response.status, query).to.equal(400)
      expect(response.body._tag).to.equal('InvalidRequestError')
    }
    expect((await get('/vcs/diff', repo, '')).body.message).to.contain('mode')
    for (const base of ['nope', '--output=/tmp/x', 'main..HEAD']) {
      const response = await get('/vcs/diff', repo, `&mode=branch&base=${encodeURIComponent(base)}`)
      expect(response.status, base).to.equal(400)
      expect(response.body).to.include({ _tag: 'InvalidRequestError', field: 'base' })
    }
  })

  it('GET /api/vcs/diff?mode=branch without a default branch or a base is a 503', async () => {
    const repo = tempDir()
    git(repo, 'init', '-q', '-b', 'trunk')
    writeFileSync(join(repo, 'a.txt'), 'a\n')
    git(repo, 'add', '.')
    git(repo, 'commit', '-q', '-m', 'i')
    const response = await get('/vcs/diff', repo, '&mode=branch')
    expect(response.status).to.equal(503)
    expect(response.body).to.deep.equal({
      _tag: 'ServiceUnavailableError',
      message: 'No review base available',
      service: 'vcs',
    })
    expect((await get('/vcs/diff', repo, '&mode=branch&base=trunk')).body.data).to.deep.equal([])
  })

  it('keeps the 1.x /vcs routes answering their own shapes', async () => {
    const repo = gitRepo()
    expect((await server.app.inject({ url: `/vcs?directory=${repo}` })).json()).to.deep.equal({
      branch: 'main',
      default_branch: 'main',
    })
  })
})
