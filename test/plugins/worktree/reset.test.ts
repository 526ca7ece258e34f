import { expect } from 'chai'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, git, gitRepo, startServer, tempDir } from '../../support/helper.js'
import { expectMatchesReference } from '../../support/openapi.js'

async function worktreeServer() {
  const repo = gitRepo({ 'README.md': '# test\n', 'src/a.txt': 'a\n' })
  const server = await startServer({ cwd: repo, only: ['core', 'project', 'worktree'] })
  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, directory = repo) => {
    const response = await server.app.inject({
      method,
      url: `${url}?directory=${encodeURIComponent(directory)}`,
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    return { status: response.statusCode, body: response.body ? response.json() : undefined }
  }
  return { repo, server, call }
}

describe('plugin: worktree reset', () => {
  afterEach(cleanup)

  it('puts a sandbox back on the default branch: commits, changes and untracked files are gone, the user checkout untouched', async () => {
    const { repo, call } = await worktreeServer()
    const created = (await call('POST', '/experimental/worktree', { name: 'reset-me' })).body
    const dir = created.directory
    writeFileSync(join(dir, 'src/a.txt'), 'changed in a commit\n')
    git(dir, 'commit', '-qam', 'work in the sandbox')
    writeFileSync(join(dir, 'README.md'), 'uncommitted\n')
    writeFileSync(join(dir, 'new.txt'), 'untracked\n')
    writeFileSync(join(dir, 'ignored.log'), 'ignored too\n')
    // The default branch moved on meanwhile; the user also has uncommitted work of their own.
    writeFileSync(join(repo, 'src/a.txt'), 'on main\n')
    git(repo, 'commit', '-qam', 'main moves on')
    writeFileSync(join(repo, 'README.md'), 'the user is editing\n')
    const userStatus = git(repo, 'status', '--porcelain')

    const reset = await call('POST', '/experimental/worktree/reset', { directory: dir })
    expect(reset).to.deep.equal({ status: 200, body: true })
    expectMatchesReference('POST', '/experimental/worktree/reset', 200, reset.body)
    expect(git(dir, 'rev-parse', 'HEAD')).to.equal(git(repo, 'rev-parse', 'main'))
    expect(git(dir, 'status', '--porcelain', '--ignored')).to.equal('')
    expect(existsSync(join(dir, 'new.txt'))).to.equal(false)
    expect(git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('opencode/reset-me')
    expect(git(repo, 'status', '--porcelain')).to.equal(userStatus)
    expect(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('main')
  })

  it("refuses the project's own checkout and any directory that is not one of its sandboxes, with 400 WorktreeResetFailedError", async () => {
    const { repo, call } = await worktreeServer()
    const primary = await call('POST', '/experimental/worktree/reset', { directory: repo })
    expect(primary).to.deep.equal({
      status: 400,
      body: { name: 'WorktreeResetFailedError', data: { message: 'Cannot reset the primary workspace' } },
    })
    expectMatchesReference('POST', '/experimental/worktree/reset', 400, primary.body)
    const elsewhere = tempDir()
    const other = await call('POST', '/experimental/worktree/reset', { directory: elsewhere })
    expect(other).to.deep.equal({
      status: 400,
      body: { name: 'WorktreeResetFailedError', data: { message: 'Worktree not found' } },
    })
    // A linked worktree of the user's own is not ours to reset either.
    const own = join(tempDir(), 'own')
    git(repo, 'worktree', 'add', '-q', '-b', 'mine', own)
    writeFileSync(join(own, 'keep.txt'), 'mine\n')
    expect((await call('POST', '/experimental/worktree/reset', { directory: own })).body.data.message).to.equal(
      'Worktree not found',
    )
    expect(existsSync(join(own, 'keep.txt'))).to.equal(true)

    for (const body of [{ directory: 'relative/path' }, {}, { directory: '' }])
      expect((await call('POST', '/experimental/worktree/reset', body)).status).to.equal(400)
    const plain = tempDir()
    const notGit = await call('POST', '/experimental/worktree/reset', { directory: plain }, plain)
    expect(notGit.status).to.equal(400)
    expect(notGit.body.name).to.equal('WorktreeNotGitError')
  })
})
