import { expect } from 'chai'
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { BusEvent } from '../../../kernel/events/bus.js'
import { cleanup, git, gitRepo, startServer, tempDir } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

const branchExists = (repo: string, branch: string) => git(repo, 'branch', '--list', branch) !== ''
const registered = (repo: string) =>
  git(repo, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length))

async function worktreeServer() {
  const repo = gitRepo({ 'README.md': '# test\n', 'src/a.txt': 'a\n' })
  const server = await startServer({ cwd: repo, only: ['core', 'project', 'worktree'] })
  await server.app.inject({ url: '/path' })
  const projectID = git(repo, 'rev-list', '--max-parents=0', 'HEAD')
  const root = join(realpathSync(server.dataDir), 'worktree', projectID)
  const events: BusEvent[] = []
  server.kernel.bus.subscribe((event) => events.push(event))

  const call = async (method: 'GET' | 'POST' | 'DELETE' | 'PATCH', url: string, payload?: unknown) => {
    const response = await server.app.inject({
      method,
      url,
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    const body = response.body ? response.json() : undefined
    const template = url.split('?')[0]!.replace(/^\/api\/project\/[^/]+$/, '/api/project/{projectID}')
    if (response.statusCode === 204) expect(response.body).to.equal('')
    else expectMatches21(method, template, response.statusCode, body)
    return { status: response.statusCode, body }
  }
  const list = async (id = projectID) => call('GET', `/api/worktree?projectID=${encodeURIComponent(id)}`)
  const create = async (input: Record<string, unknown> = {}) => {
    const response = await call('POST', '/api/worktree', { projectID, ...input })
    expect(response.status, JSON.stringify(response.body)).to.equal(200)
    return response.body.directory as string
  }
  const remove = (directory: string, force = false, id = projectID) =>
    call('DELETE', '/api/worktree', { projectID: id, directory, force })
  const refresh = (id = projectID) => call('POST', '/api/worktree/refresh', { projectID: id })
  const updated = () => events.filter((event) => event.payload.type === 'worktree.updated')
  return { repo, server, projectID, root, events, call, list, create, remove, refresh, updated }
}

describe('worktree: OpenCode 2.1', () => {
  afterEach(cleanup)

  it('lists the main checkout of a fresh project; 400 without a projectID, 404 for an unknown one', async () => {
    const h = await worktreeServer()
    expect(await h.list()).to.deep.equal({ status: 200, body: [{ directory: h.repo }] })
    const missing = await h.call('GET', '/api/worktree')
    expect(missing.status).to.equal(400)
    expect(missing.body._tag).to.equal('InvalidRequestError')
    expect((await h.list('nope')).body).to.deep.equal({
      _tag: 'ProjectNotFoundError',
      projectID: 'nope',
      message: 'Project not found: nope',
    })
  })

  it('creates a worktree on opencode/<name> at HEAD, seen by both APIs and the project; worktree.updated', async () => {
    const h = await worktreeServer()
    const directory = await h.create()
    expect(dirname(directory)).to.equal(h.root)
    const name = directory.slice(h.root.length + 1)
    expect(git(directory, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal(`opencode/${name}`)
    expect(git(directory, 'rev-parse', 'HEAD')).to.equal(git(h.repo, 'rev-parse', 'HEAD'))
    expect(registered(h.repo)).to.include(directory)
    expect((await h.list()).body).to.deep.equal([{ directory, strategy: 'git' }, { directory: h.repo }])
    const v1 = await h.server.app.inject({ url: '/experimental/worktree' })
    expect(v1.json()).to.deep.equal([directory])
    const project = (await h.call('GET', '/api/project')).body.find((p: { id: string }) => p.id === h.projectID)
    expect(project.sandboxes).to.deep.equal([directory])
    expect(h.updated().map((event) => [event.directory, event.payload.properties])).to.deep.equal([
      ['global', { projectID: h.projectID }],
    ])
  })

  it('makes a name folder-safe, adds -2 when it is taken, and keeps every name inside the worktree folder', async () => {
    const h = await worktreeServer()
    expect(await h.create({ name: 'My Tree' })).to.equal(join(h.root, 'my-tree'))
    expect(await h.create({ name: 'My Tree' })).to.equal(join(h.root, 'my-tree-2'))
    expect(await h.create({ name: '../../../../evil' })).to.equal(join(h.root, 'evil'))
    const generated = await h.create({ name: '///' })
    expect(dirname(generated)).to.equal(h.root)
    expect(existsSync(join(realpathSync(h.server.dataDir), 'evil'))).to.equal(false)
  })

  it('starts at `branch`, or at the HEAD of `from`, in `directory` when given; refuses what it cannot find', async () => {
    const h = await worktreeServer()
    git(h.repo, 'checkout', '-q', '-b', 'feature')
    writeFileSync(join(h.repo, 'f.txt'), 'f\n')
    git(h.repo, 'add', '.')
    git(h.repo, 'commit', '-q', '-m', 'feature')
    git(h.repo, 'checkout', '-q', 'main')

    const onBranch = await h.create({ name: 'b', branch: 'feature' })
    expect(git(onBranch, 'rev-parse', 'HEAD')).to.equal(git(h.repo, 'rev-parse', 'feature'))
    expect(branchExists(h.repo, 'feature')).to.equal(true)
    const fromOther = await h.create({ name: 'c', from: onBranch })
    expect(git(fromOther, 'rev-parse', 'HEAD')).to.equal(git(h.repo, 'rev-parse', 'feature'))
    const parent = tempDir()
    const elsewhere = await h.create({ name: 'd', directory: parent })
    expect(elsewhere).to.equal(join(parent, 'd'))

    const before = registered(h.repo)
    for (const input of [{ branch: 'nope' }, { branch: '--orphan' }, { from: tempDir() }, { from: 'src' }]) {
      const response = await h.call('POST', '/api/worktree', { projectID: h.projectID, name: 'x', ...input })
      expect(response.status, JSON.stringify(input)).to.equal(400)
      expect(response.body).to.include({ _tag: 'WorktreeError', name: 'WorktreeError' })
    }
    for (const input of [
      { directory: '/nonexistent/parent' },
      { directory: 'relative' },
      { name: { x: 1 } },
      { zzz: 1 },
    ]) {
      const response = await h.call('POST', '/api/worktree', { projectID: h.projectID, ...input })
      if ('zzz' in input) continue // unknown keys are dropped, as in OpenCode
      expect(response.status, JSON.stringify(input)).to.equal(400)
      expect(response.body._tag).to.equal('InvalidRequestError')
    }
    expect(registered(h.repo).length).to.equal(before.length + 1)
    const unknown = await h.call('POST', '/api/worktree', { projectID: 'nope' })
    expect(unknown.status).to.equal(404)
  })

  it("runs the project's commands.start before answering; a failing one removes the worktree and says so", async () => {
    const h = await worktreeServer()
    const setStart = (start: string) =>
      h
        .call('PATCH', `/api/project/${h.projectID}`, { commands: { start } })
        .then((r) => expect(r.status).to.equal(200))

    await setStart('echo ready > started.txt')
    const ok = await h.create({ name: 'ok' })
    expect(readFileSync(join(ok, 'started.txt'), 'utf8')).to.equal('ready\n')

    await setStart('echo broken >&2; exit 3')
    const before = registered(h.repo)
    const updatedBefore = h.updated().length
    const failed = await h.call('POST', '/api/worktree', { projectID: h.projectID, name: 'bad' })
    expect(failed.status).to.equal(400)
    expect(failed.body).to.include({ _tag: 'WorktreeError', name: 'WorktreeError' })
    expect(failed.body.data.forceRequired).to.equal(null)
    expect(failed.body.data.message).to.contain('exit code 3').and.contain('broken').and.contain('was removed')
    expect(existsSync(join(h.root, 'bad'))).to.equal(false)
    expect(branchExists(h.repo, 'opencode/bad')).to.equal(false)
    expect(registered(h.repo)).to.deep.equal(before)
    expect((await h.list()).body.map((entry: { directory: string }) => entry.directory)).to.deep.equal([ok, h.repo])
    expect(h.updated().length).to.equal(updatedBefore)
  })

  it('removes a clean worktree and its branch; one with changes needs force (forceRequired)', async () => {
    const h = await worktreeServer()
    const clean = await h.create({ name: 'clean' })
    const removed = await h.remove(clean)
    expect(removed.status).to.equal(204)
    expect(existsSync(clean)).to.equal(false)
    expect(branchExists(h.repo, 'opencode/clean')).to.equal(false)

    const dirty = await h.create({ name: 'dirty' })
    writeFileSync(join(dirty, 'untracked.txt'), 'work\n')
    const refused = await h.remove(dirty)
    expect(refused.status).to.equal(400)
    expect(refused.body.data.forceRequired).to.equal(true)
    expect(readFileSync(join(dirty, 'untracked.txt'), 'utf8')).to.equal('work\n')
    expect((await h.remove(dirty, true)).status).to.equal(204)
    expect(existsSync(dirty)).to.equal(false)
    expect((await h.list()).body).to.deep.equal([{ directory: h.repo }])
    expect(h.updated()).to.have.length(4)
  })

  it('refuses to remove the main checkout, a folder that is no worktree, and bad bodies; changes nothing', async () => {
    const h = await worktreeServer()
    const kept = await h.create({ name: 'kept' })
    const stranger = tempDir()
    writeFileSync(join(stranger, 'keep.txt'), 'x')
    for (const directory of [h.repo, stranger, '/nonexistent/worktree', join(h.root, 'unknown'), 'kept']) {
      const response = await h.remove(directory, true)
      expect(response.status, directory).to.equal(400)
      expect(response.body.data.forceRequired).to.equal(null)
    }
    expect(existsSync(join(stranger, 'keep.txt'))).to.equal(true)
    for (const payload of [{ projectID: h.projectID, directory: kept }, { projectID: h.projectID, force: true }, {}]) {
      const response = await h.call('DELETE', '/api/worktree', payload)
      expect(response.status).to.equal(400)
      expect(response.body._tag).to.equal('InvalidRequestError')
    }
    expect((await h.remove(kept, true, 'nope')).status).to.equal(404)
    expect(existsSync(kept)).to.equal(true)
    expect(registered(h.repo)).to.include(kept)
  })

  it('refresh saves worktrees made outside the server and forgets saved ones that are gone', async () => {
    const h = await worktreeServer()
    const gone = await h.create({ name: 'gone' })
    const manual = join(tempDir(), 'manual')
    git(h.repo, 'worktree', 'add', '-q', '-b', 'manual-branch', manual)
    expect((await h.list()).body.map((entry: { directory: string }) => entry.directory)).to.deep.equal([gone, h.repo])
    rmSync(gone, { recursive: true, force: true })
    const refreshed = await h.refresh()
    expect(refreshed.status).to.equal(204)
    expect((await h.list()).body).to.deep.equal([{ directory: manual, strategy: 'git' }, { directory: h.repo }])

    // Removing a worktree the server did not make keeps its branch.
    expect((await h.remove(manual)).status).to.equal(204)
    expect(existsSync(manual)).to.equal(false)
    expect(branchExists(h.repo, 'manual-branch')).to.equal(true)

    expect((await h.refresh('nope')).status).to.equal(404)
    expect((await h.call('POST', '/api/worktree/refresh', {})).status).to.equal(400)
  })

  it('answers [] for the global project and refuses to make worktrees outside git', async () => {
    const h = await worktreeServer()
    const plain = tempDir()
    mkdirSync(join(plain, 'sub'))
    await h.server.app.inject({ url: `/path?directory=${plain}` })
    expect((await h.list('global')).body).to.deep.equal([])
    const response = await h.call('POST', '/api/worktree', { projectID: 'global' })
    expect(response.status).to.equal(400)
    expect(response.body.data.message).to.contain('only supported for git projects')
    expect((await h.refresh('global')).status).to.equal(204)
  })

  it('shares worktrees with the 1.x routes: one made there is listed here and removed here', async () => {
    const h = await worktreeServer()
    const made = (
      await h.server.app.inject({ method: 'POST', url: '/experimental/worktree', payload: { name: 'v1' } })
    ).json()
    expect((await h.list()).body[0]).to.deep.equal({ directory: made.directory, strategy: 'git' })
    expect((await h.remove(made.directory)).status).to.equal(204)
    expect((await h.server.app.inject({ url: '/experimental/worktree' })).json()).to.deep.equal([])
  })
})
