import { expect } from 'chai'
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BusEvent } from '../../../kernel/events/bus.js'
import { cleanup, git, gitRepo, startServer, tempDir } from '../../support/helper.js'
import { until } from '../../support/session.js'

interface Repo {
  dir: string
  head: string
  branch: string
  status: string
  branches: string
}

/** What must never change in the user's checkout. */
function snapshot(dir: string): Repo {
  return {
    dir,
    head: git(dir, 'rev-parse', 'HEAD'),
    branch: git(dir, 'rev-parse', '--abbrev-ref', 'HEAD'),
    status: git(dir, 'status', '--porcelain', '--untracked-files=all'),
    branches: git(dir, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/')
      .split('\n')
      .filter((line) => !line.startsWith('refs/heads/opencode/'))
      .join('\n'),
  }
}

function expectUntouched(before: Repo): void {
  expect(snapshot(before.dir)).to.deep.equal(before)
}

function branchExists(repo: string, branch: string): boolean {
  return git(repo, 'branch', '--list', branch) !== ''
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function worktreeServer(files?: Record<string, string>) {
  const repo = gitRepo(files ?? { 'README.md': '# test\n', 'src/a.txt': 'a\n' })
  const server = await startServer({ cwd: repo, only: ['core', 'project', 'worktree'] })
  const events: BusEvent[] = []
  server.kernel.bus.subscribe((event) => events.push(event))
  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, directory = repo) => {
    const response = await server.app.inject({
      method,
      url: `${url}?directory=${encodeURIComponent(directory)}`,
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    return { status: response.statusCode, body: response.body ? response.json() : undefined }
  }
  const create = async (payload?: unknown, directory?: string) => {
    const response = await call('POST', '/experimental/worktree', payload, directory)
    expect(response.status, JSON.stringify(response.body)).to.equal(200)
    return response.body as { name: string; branch: string; directory: string }
  }
  const remove = (directory: string, from?: string) => call('DELETE', '/experimental/worktree', { directory }, from)
  const list = async (directory?: string) =>
    (await call('GET', '/experimental/worktree', undefined, directory)).body as string[]
  const sandboxes = async () => (await call('GET', '/project/current')).body.sandboxes as string[]
  const next = async (type: string, directory: string, timeoutMs = 10_000) => {
    await until(
      () => events.some((e) => e.payload.type === type && e.directory === directory),
      timeoutMs,
      `${type} for ${directory}`,
    )
    return events.find((e) => e.payload.type === type && e.directory === directory)!.payload.properties
  }
  const root = join(realpathSync(server.dataDir), 'worktree', git(repo, 'rev-list', '--max-parents=0', 'HEAD'))
  return { repo, server, events, call, create, remove, list, sandboxes, next, root }
}

describe('plugin: worktree', () => {
  afterEach(cleanup)

  it('creates a named worktree: a checkout of HEAD on opencode/<name> in the data dir, listed and recorded as a sandbox', async () => {
    const h = await worktreeServer()
    writeFileSync(join(h.repo, 'src/a.txt'), 'changed by the user\n')
    writeFileSync(join(h.repo, 'untracked.txt'), 'mine\n')
    const before = snapshot(h.repo)

    const worktree = await h.create({ name: 'feature-1' })
    expect(worktree).to.deep.equal({
      name: 'feature-1',
      branch: 'opencode/feature-1',
      directory: join(h.root, 'feature-1'),
    })
    expect(git(worktree.directory, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('opencode/feature-1')
    expect(git(worktree.directory, 'rev-parse', 'HEAD')).to.equal(before.head)
    expect(git(worktree.directory, 'status', '--porcelain')).to.equal('')
    // The committed content, not the user's uncommitted changes.
    expect(readFileSync(join(worktree.directory, 'src/a.txt'), 'utf8')).to.equal('a\n')
    expect(existsSync(join(worktree.directory, 'untracked.txt'))).to.equal(false)
    expect(git(h.repo, 'worktree', 'list', '--porcelain')).to.include(`worktree ${worktree.directory}\n`)

    expect(await h.list()).to.deep.equal([worktree.directory])
    expect(await h.sandboxes()).to.deep.equal([worktree.directory])
    const updated = h.events.filter((e) => e.payload.type === 'project.updated')
    expect(updated).to.have.length(1)
    expect(updated[0]!.payload.properties.sandboxes).to.deep.equal([worktree.directory])
    expect(await h.next('worktree.ready', worktree.directory)).to.deep.equal({
      name: 'feature-1',
      branch: 'opencode/feature-1',
    })
    expectUntouched(before)
  })

  it('generates adjective-noun names when none is given, a different one each time', async () => {
    const h = await worktreeServer()
    const before = snapshot(h.repo)
    const first = await h.create()
    const second = await h.create(undefined)
    for (const worktree of [first, second]) {
      expect(worktree.name).to.match(/^[a-z]+-[a-z]+(-[0-9a-f]{4})?$/)
      expect(worktree.branch).to.equal(`opencode/${worktree.name}`)
      expect(worktree.directory).to.equal(join(h.root, worktree.name))
      expect(git(worktree.directory, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal(worktree.branch)
      await h.next('worktree.ready', worktree.directory)
    }
    expect(first.name).to.not.equal(second.name)
    expect(await h.list()).to.deep.equal([first.directory, second.directory])
    expect(await h.sandboxes()).to.deep.equal([first.directory, second.directory])
    expectUntouched(before)
  })

  it('answers before the start command ends, then runs it with bash in the new worktree and publishes worktree.ready', async () => {
    const h = await worktreeServer()
    const before = snapshot(h.repo)
    const startCommand = 'sleep 0.5; pwd > where.txt; printf started > started.txt'
    const worktree = await h.create({ name: 'with-start', startCommand })
    expect(existsSync(join(worktree.directory, 'started.txt'))).to.equal(false)

    expect(await h.next('worktree.ready', worktree.directory)).to.deep.equal({
      name: 'with-start',
      branch: 'opencode/with-start',
    })
    expect(readFileSync(join(worktree.directory, 'started.txt'), 'utf8')).to.equal('started')
    expect(readFileSync(join(worktree.directory, 'where.txt'), 'utf8').trim()).to.equal(worktree.directory)
    expect(h.events.some((e) => e.payload.type === 'worktree.failed')).to.equal(false)
    expect(existsSync(join(h.repo, 'started.txt'))).to.equal(false)
    expectUntouched(before)
  })

  it("runs the project's commands.start first, then startCommand", async () => {
    const h = await worktreeServer()
    const project = (await h.call('GET', '/project/current')).body
    const patched = await h.server.app.inject({
      method: 'PATCH',
      url: `/project/${project.id}?directory=${h.repo}`,
      payload: { commands: { start: 'echo project >> order.txt' } },
    })
    expect(patched.statusCode).to.equal(200)
    const worktree = await h.create({ name: 'ordered', startCommand: 'echo extra >> order.txt' })
    await h.next('worktree.ready', worktree.directory)
    expect(readFileSync(join(worktree.directory, 'order.txt'), 'utf8')).to.equal('project\nextra\n')
  })

  it('publishes worktree.failed with the exit code and the end of the output when the start command fails; the worktree stays', async () => {
    const h = await worktreeServer()
    const worktree = await h.create({ name: 'broken', startCommand: 'echo "npm ERR! missing script" >&2; exit 3' })
    const failed = await h.next('worktree.failed', worktree.directory)
    expect(failed.message).to.be.a('string')
    expect(failed.message)
      .to.include('Worktree broken')
      .and.include('exit code 3')
      .and.include('npm ERR! missing script')
    expect(Object.keys(failed)).to.deep.equal(['message'])
    expect(h.events.some((e) => e.payload.type === 'worktree.ready')).to.equal(false)
    expect(await h.list()).to.deep.equal([worktree.directory])
  })

  it('removes a worktree with uncommitted work: directory, branch and sandbox entry gone, the user checkout untouched', async () => {
    const h = await worktreeServer()
    const worktree = await h.create({ name: 'doomed' })
    await h.next('worktree.ready', worktree.directory)
    writeFileSync(join(worktree.directory, 'README.md'), 'edited in the sandbox\n')
    writeFileSync(join(worktree.directory, 'new.txt'), 'new\n')
    git(worktree.directory, 'add', 'new.txt')
    git(worktree.directory, 'commit', '-q', '-m', 'sandbox work')
    writeFileSync(join(h.repo, 'untracked.txt'), 'mine\n')
    const before = snapshot(h.repo)
    const updatedBefore = h.events.filter((e) => e.payload.type === 'project.updated').length

    const removed = await h.remove(worktree.directory)
    expect(removed).to.deep.equal({ status: 200, body: true })
    expect(existsSync(worktree.directory)).to.equal(false)
    expect(branchExists(h.repo, 'opencode/doomed')).to.equal(false)
    expect(git(h.repo, 'worktree', 'list', '--porcelain')).to.not.include(worktree.directory)
    expect(await h.list()).to.deep.equal([])
    expect(await h.sandboxes()).to.deep.equal([])
    const updated = h.events.filter((e) => e.payload.type === 'project.updated')
    expect(updated).to.have.length(updatedBefore + 1)
    expect(updated.at(-1)!.payload.properties.sandboxes).to.deep.equal([])
    expectUntouched(before)
    expect(readFileSync(join(h.repo, 'README.md'), 'utf8')).to.equal('# test\n')

    const again = await h.remove(worktree.directory)
    expect(again.status).to.equal(404)
    expect(again.body.name).to.equal('NotFoundError')
  })

  it('removes a worktree when asked from inside it, and one whose directory was already deleted by hand', async () => {
    const h = await worktreeServer()
    const inside = await h.create({ name: 'self' })
    const gone = await h.create({ name: 'gone' })
    mkdirSync(join(inside.directory, 'sub'))
    expect(await h.list(join(inside.directory, 'sub'))).to.deep.equal([inside.directory, gone.directory])
    expect((await h.remove(inside.directory, join(inside.directory, 'sub'))).body).to.equal(true)
    expect(existsSync(inside.directory)).to.equal(false)
    expect(branchExists(h.repo, 'opencode/self')).to.equal(false)

    rmSync(gone.directory, { recursive: true, force: true })
    expect(await h.list()).to.deep.equal([])
    expect((await h.remove(gone.directory)).body).to.equal(true)
    expect(branchExists(h.repo, 'opencode/gone')).to.equal(false)
    expect(git(h.repo, 'worktree', 'list', '--porcelain')).to.not.include(gone.directory)
    expect(await h.sandboxes()).to.deep.equal([])
  })

  it('rejects bad names with 400 and taken names with 409, creating nothing', async () => {
    const h = await worktreeServer()
    git(h.repo, 'branch', 'opencode/users-own')
    const before = snapshot(h.repo)
    const userBranch = git(h.repo, 'rev-parse', 'opencode/users-own')
    for (const name of [
      'Bad',
      'has space',
      '../escape',
      'a/b',
      '-dash',
      '.hidden',
      'a..b',
      'x.lock',
      'dot.',
      '',
      'x'.repeat(65),
      5,
      null,
    ]) {
      const response = await h.call('POST', '/experimental/worktree', { name })
      expect(response.status, `name ${JSON.stringify(name)}`).to.equal(400)
      expect(response.body.name).to.equal('BadRequest')
      expect(response.body.data.message).to.include('name')
    }
    expect((await h.call('POST', '/experimental/worktree', { startCommand: 42 })).status).to.equal(400)

    await h.create({ name: 'taken' })
    for (const name of ['taken', 'users-own']) {
      const response = await h.call('POST', '/experimental/worktree', { name })
      expect(response.status, name).to.equal(409)
      expect(response.body).to.deep.include({ name: 'WorktreeCreateFailedError' })
      expect(response.body.data.message).to.include(name)
    }
    expect(git(h.repo, 'rev-parse', 'opencode/users-own')).to.equal(userBranch)
    expect(existsSync(join(h.root, 'users-own'))).to.equal(false)
    expect(await h.list()).to.deep.equal([join(h.root, 'taken')])
    expectUntouched(before)
  })

  it('takes back the checkout and branch when git fails (a failing post-checkout hook), answering 400', async () => {
    const h = await worktreeServer()
    writeFileSync(join(h.repo, '.git/hooks/post-checkout'), '#!/bin/sh\necho "hook says no" >&2\nexit 1\n', {
      mode: 0o755,
    })
    const before = snapshot(h.repo)
    const response = await h.call('POST', '/experimental/worktree', { name: 'hooked' })
    expect(response.status).to.equal(400)
    expect(response.body.name).to.equal('WorktreeCreateFailedError')
    expect(response.body.data.message).to.include('hook says no')
    expect(existsSync(join(h.root, 'hooked'))).to.equal(false)
    expect(branchExists(h.repo, 'opencode/hooked')).to.equal(false)
    expect(git(h.repo, 'worktree', 'list', '--porcelain')).to.not.include('hooked')
    expect(await h.sandboxes()).to.deep.equal([])
    expectUntouched(before)
  })

  it('answers 400 WorktreeNotGitError outside git (the list is empty)', async () => {
    const h = await worktreeServer()
    const plain = tempDir()
    const created = await h.call('POST', '/experimental/worktree', { name: 'nope' }, plain)
    expect(created.status).to.equal(400)
    expect(created.body).to.deep.equal({
      name: 'WorktreeNotGitError',
      data: { message: 'Worktrees are only supported for git projects' },
    })
    expect(await h.list(plain)).to.deep.equal([])
    expect((await h.call('DELETE', '/experimental/worktree', { directory: plain }, plain)).body.name).to.equal(
      'WorktreeNotGitError',
    )
    expect(existsSync(plain)).to.equal(true)
    expect(existsSync(join(h.server.dataDir, 'worktree'))).to.equal(false)
  })

  it('refuses to remove anything it did not create for this project, deleting nothing', async () => {
    const h = await worktreeServer()
    const userWorktree = join(tempDir(), 'user-wt')
    git(h.repo, 'worktree', 'add', '-q', '-b', 'user-branch', userWorktree)
    const before = snapshot(h.repo)
    const worktree = await h.create({ name: 'mine' })
    const foreign = tempDir()
    writeFileSync(join(foreign, 'keep.txt'), 'keep\n')
    const otherRepo = gitRepo({ 'other.txt': 'other\n' })
    const otherWorktree = await h.create({ name: 'theirs' }, otherRepo)
    // A link inside the server's folder that points at the user's files.
    symlinkSync(foreign, join(h.root, 'sneaky'))

    const attempts: [string, number, string][] = [
      [h.repo, 400, 'WorktreeRemoveFailedError'],
      [join(h.repo, 'src'), 404, 'NotFoundError'],
      [foreign, 404, 'NotFoundError'],
      [userWorktree, 404, 'NotFoundError'],
      [otherWorktree.directory, 404, 'NotFoundError'],
      [join(h.root, 'sneaky'), 404, 'NotFoundError'],
      [join(h.root, 'never-made'), 404, 'NotFoundError'],
      [h.root, 404, 'NotFoundError'],
      [join(worktree.directory, '..', '..'), 404, 'NotFoundError'],
      ['relative/path', 400, 'BadRequest'],
    ]
    for (const [directory, status, name] of attempts) {
      const response = await h.remove(directory)
      expect(response.status, directory).to.equal(status)
      expect(response.body.name, directory).to.equal(name)
    }
    expect((await h.call('DELETE', '/experimental/worktree', {})).status).to.equal(400)

    expect(readFileSync(join(foreign, 'keep.txt'), 'utf8')).to.equal('keep\n')
    expect(existsSync(join(h.repo, 'src/a.txt'))).to.equal(true)
    expect(git(userWorktree, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('user-branch')
    expect(existsSync(otherWorktree.directory)).to.equal(true)
    expect(branchExists(otherRepo, 'opencode/theirs')).to.equal(true)
    expect(existsSync(worktree.directory)).to.equal(true)
    expect(branchExists(h.repo, 'opencode/mine')).to.equal(true)
    expect(await h.list()).to.deep.equal([worktree.directory])
    // The user's own linked worktree is a sandbox of the project, but not one of ours.
    expect((await h.list(userWorktree)).includes(userWorktree)).to.equal(false)
    expectUntouched(before)
  })

  it('stops a running start command when the worktree is removed, without an event', async () => {
    const h = await worktreeServer()
    const worktree = await h.create({ name: 'slow', startCommand: 'echo $$ > pid.txt; sleep 60' })
    const pidFile = join(worktree.directory, 'pid.txt')
    await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 5000, 'the start command')
    const pid = Number(readFileSync(pidFile, 'utf8'))
    expect(isAlive(pid)).to.equal(true)
    expect((await h.remove(worktree.directory)).body).to.equal(true)
    await until(() => !isAlive(pid), 5000, 'the start command to end')
    expect(existsSync(worktree.directory)).to.equal(false)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(h.events.some((e) => e.payload.type.startsWith('worktree.'))).to.equal(false)
  })

  it('keeps worktrees in the server data dir, which closing and cleaning up removes', async () => {
    const h = await worktreeServer()
    const worktree = await h.create({ name: 'temporary', startCommand: 'echo $$ > pid.txt; sleep 60' })
    expect(worktree.directory.startsWith(realpathSync(h.server.dataDir))).to.equal(true)
    const pidFile = join(worktree.directory, 'pid.txt')
    await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 5000, 'the start command')
    const pid = Number(readFileSync(pidFile, 'utf8'))
    await cleanup()
    await until(() => !isAlive(pid), 5000, 'the start command to end')
    expect(existsSync(worktree.directory)).to.equal(false)
    expect(existsSync(h.repo)).to.equal(false)
  })

  it('documents the three routes under OpenCode operation ids and the two events', async () => {
    const h = await worktreeServer()
    const document = (await h.server.app.inject({ url: '/doc' })).json()
    const path = document.paths['/experimental/worktree']
    // OpenCode 2.1 gave these ids to `/api/worktree`; the v1 routes are listed as `v1.<id>`.
    expect([path.get.operationId, path.post.operationId, path.delete.operationId]).to.deep.equal([
      'v1.worktree.list',
      'v1.worktree.create',
      'v1.worktree.remove',
    ])
    for (const operation of [path.get, path.post, path.delete]) expect(operation.tags).to.deep.equal(['experimental'])
    expect(document.components.schemas).to.include.keys(
      'Worktree',
      'WorktreeCreateInput',
      'WorktreeRemoveInput',
      'WorktreeError',
    )
    expect(JSON.stringify(document)).to.include('worktree.ready').and.include('worktree.failed')
  })
})
