import { expect } from 'chai'
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BusEvent } from '../../../kernel/events/bus.js'
import { cleanup, git, gitRepo, startServer, tempDir, type TestServer } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

const rootCommit = (repo: string) => git(repo, 'rev-list', '--max-parents=0', 'HEAD')
const location = (directory: string) => `location%5Bdirectory%5D=${encodeURIComponent(directory)}`

async function projectServer(env?: NodeJS.ProcessEnv) {
  const server = await startServer({ only: ['core', 'project', 'vcs'], env })
  const events: BusEvent[] = []
  server.kernel.bus.subscribe((event) => events.push(event))
  const list = async () => {
    const response = await server.app.inject({ url: '/api/project' })
    expect(response.statusCode).to.equal(200)
    expectMatches21('GET', '/api/project', 200, response.json())
    return response.json() as any[]
  }
  const patch = (id: string, payload: unknown) =>
    server.app.inject({ method: 'PATCH', url: `/api/project/${id}`, payload: payload as object })
  const open = (directory: string) => server.app.inject({ url: `/path?directory=${encodeURIComponent(directory)}` })
  return { server, events, list, patch, open }
}

function updatedEvents(events: BusEvent[]) {
  return events.filter((event) => event.payload.type === 'project.updated').map((event) => event.payload.properties)
}

describe('project: OpenCode 2.1', () => {
  afterEach(cleanup)

  it('GET /api/project lists the projects as 2.1 shows them: canonical, time.active, sandboxes', async () => {
    const { list, open } = await projectServer()
    const repo = gitRepo()
    const plain = tempDir()
    await open(repo)
    await open(plain)
    const projects = await list()
    const project = projects.find((entry) => entry.id === rootCommit(repo))
    expect(project).to.include({ canonical: repo, vcs: 'git' })
    expect(project.sandboxes).to.deep.equal([])
    expect(project.time.active).to.be.a('number').and.to.be.at.least(project.time.created)
    expect(projects.find((entry) => entry.id === 'global')).to.include({ canonical: '/' })
  })

  it('accepts archived=true|false (nothing is archived) and refuses anything else', async () => {
    const { server, open, list } = await projectServer()
    await open(gitRepo())
    const all = await list()
    for (const archived of ['true', 'false']) {
      const response = await server.app.inject({ url: `/api/project?archived=${archived}` })
      expect(response.json()).to.deep.equal(all)
    }
    const bad = await server.app.inject({ url: '/api/project?archived=maybe' })
    expect(bad.statusCode).to.equal(400)
    expectMatches21('GET', '/api/project', 400, bad.json())
  })

  it('PATCH merges name and icon, replaces commands ({} clears them), publishes project.updated; /project sees it', async () => {
    const { server, events, open, patch } = await projectServer()
    const repo = gitRepo()
    const id = rootCommit(repo)
    await open(repo)

    const first = await patch(id, { name: 'Proj', icon: { color: 'red' }, commands: { start: 'npm ci' } })
    expect(first.statusCode, first.body).to.equal(200)
    expectMatches21('PATCH', '/api/project/{projectID}', 200, first.json())
    expect(first.json()).to.include({ id, canonical: repo, name: 'Proj' })
    expect(first.json().icon).to.deep.equal({ color: 'red' })
    expect(first.json().commands).to.deep.equal({ start: 'npm ci' })
    const event = updatedEvents(events).at(-1) as any
    expect(event).to.include({ id, canonical: repo, worktree: repo, name: 'Proj' })
    expect(event.time.active).to.equal(first.json().time.active)

    const second = await patch(id, { icon: { url: 'data:x' }, name: '' })
    expect(second.json().icon).to.deep.equal({ color: 'red', url: 'data:x' })
    expect(second.json()).not.to.have.property('name')
    expect(second.json().commands).to.deep.equal({ start: 'npm ci' })
    expect(second.json().time.updated).to.be.at.least(first.json().time.updated)
    expect(second.json().time.active).to.equal(first.json().time.active)

    const cleared = await patch(id, { commands: {} })
    expect(cleared.json()).not.to.have.property('commands')
    const v1 = (await server.app.inject({ url: `/project/current?directory=${repo}` })).json()
    expect(v1).not.to.have.property('commands')
    expect(v1.icon).to.deep.equal({ color: 'red', url: 'data:x' })
  })

  it('PATCH canonical moves the main checkout to an existing directory; a missing or relative one is a 400', async () => {
    const { server, open, patch, list } = await projectServer()
    const repo = gitRepo()
    const id = rootCommit(repo)
    await open(repo)
    const elsewhere = tempDir()
    const moved = await patch(id, { canonical: `${elsewhere}/` })
    expect(moved.statusCode, moved.body).to.equal(200)
    expect(moved.json().canonical).to.equal(elsewhere)
    expect((await server.app.inject({ url: `/project?directory=${repo}` })).json()[0].worktree).to.equal(elsewhere)

    const before = await list()
    for (const canonical of ['/nonexistent/dir', 'relative/dir', join(repo, 'README.md'), '']) {
      const response = await patch(id, { canonical, name: 'never' })
      expect(response.statusCode, canonical).to.equal(400)
      expectMatches21('PATCH', '/api/project/{projectID}', 400, response.json())
    }
    expect(await list()).to.deep.equal(before)
  })

  it('PATCH answers 404 ProjectNotFoundError for an unknown id and 400 for a bad body, changing nothing', async () => {
    const { open, patch, list, events } = await projectServer()
    const repo = gitRepo()
    await open(repo)
    const before = await list()
    const unknown = await patch('nope', { name: 'x' })
    expect(unknown.statusCode).to.equal(404)
    expectMatches21('PATCH', '/api/project/{projectID}', 404, unknown.json())
    expect(unknown.json()).to.deep.equal({
      _tag: 'ProjectNotFoundError',
      projectID: 'nope',
      message: 'Project not found: nope',
    })
    for (const payload of [{ name: { x: 1 } }, { icon: 'folder' }, { commands: { start: [1, 2] } }, [1]]) {
      const response = await patch(rootCommit(repo), payload)
      expect(response.statusCode, JSON.stringify(payload)).to.equal(400)
      expectMatches21('PATCH', '/api/project/{projectID}', 400, response.json())
    }
    expect(await list()).to.deep.equal(before)
    expect(updatedEvents(events)).to.deep.equal([])
  })
})

/** A directory holding `git` (the server needs it) and, when asked, a fake `hg` that makes `.hg`. */
function binDirectory(withHg: boolean): string {
  const bin = tempDir('ok-bin-')
  symlinkSync(join(git(tempDir(), '--exec-path'), 'git'), join(bin, 'git'))
  if (withHg) {
    writeFileSync(join(bin, 'hg'), '#!/bin/sh\nPATH=/usr/bin:/bin\n[ "$1" = init ] && mkdir .hg\n')
    chmodSync(join(bin, 'hg'), 0o755)
  }
  return bin
}

async function initVcs(server: TestServer, directory: string, provider?: string) {
  const query = provider === undefined ? '' : `&provider=${provider}`
  return server.app.inject({ method: 'POST', url: `/api/vcs/init?${location(directory)}${query}` })
}

describe('vcs init: OpenCode 2.1', () => {
  afterEach(cleanup)

  it('runs git init in a plain directory (204), boots it again; a second time is a 409', async () => {
    const { server, events } = await projectServer()
    const directory = tempDir()
    const response = await initVcs(server, directory)
    expect(response.statusCode, response.body).to.equal(204)
    expect(response.body).to.equal('')
    expect(git(directory, 'rev-parse', '--is-inside-work-tree')).to.equal('true')
    expect(updatedEvents(events).at(-1)).to.include({ id: 'global', canonical: directory, vcs: 'git' })
    const vcs = (await server.app.inject({ url: `/api/vcs?${location(directory)}` })).json()
    expect(vcs.data.provider).to.equal('git')

    const again = await initVcs(server, directory, 'git')
    expect(again.statusCode).to.equal(409)
    expectMatches21('POST', '/api/vcs/init', 409, again.json())
    expect(again.json()).to.deep.include({ _tag: 'ConflictError', resource: directory })
  })

  it('answers 409 inside an existing repository, naming its root, and leaves it alone', async () => {
    const { server } = await projectServer()
    const repo = gitRepo()
    const sub = join(repo, 'sub')
    mkdirSync(sub)
    const response = await initVcs(server, sub)
    expect(response.statusCode).to.equal(409)
    expect(response.json()).to.deep.equal({
      _tag: 'ConflictError',
      message: 'Project already has version control',
      resource: repo,
    })
    expect(existsSync(join(sub, '.git'))).to.equal(false)
  })

  it('answers 400 for an unknown provider, and for hg when Mercurial is not installed; nothing is made', async () => {
    const { server } = await projectServer({ PATH: binDirectory(false) })
    const directory = tempDir()
    for (const provider of ['svn', '', 'GIT']) {
      const response = await initVcs(server, directory, provider)
      expect(response.statusCode, provider).to.equal(400)
      expectMatches21('POST', '/api/vcs/init', 400, response.json())
    }
    const hg = await initVcs(server, directory, 'hg')
    expect(hg.statusCode).to.equal(400)
    expect(hg.json()).to.include({ _tag: 'InvalidRequestError', field: 'provider' })
    expect(hg.json().message).to.contain('Mercurial (hg) is not installed')
    expect(existsSync(join(directory, '.git'))).to.equal(false)
    expect(existsSync(join(directory, '.hg'))).to.equal(false)
  })

  it('runs hg init when Mercurial is installed; then the directory counts as versioned (409)', async () => {
    const { server } = await projectServer({ PATH: binDirectory(true) })
    const directory = tempDir()
    const response = await initVcs(server, directory, 'hg')
    expect(response.statusCode, response.body).to.equal(204)
    expect(existsSync(join(directory, '.hg'))).to.equal(true)
    const again = await initVcs(server, directory, 'git')
    expect(again.statusCode).to.equal(409)
    expect(existsSync(join(directory, '.git'))).to.equal(false)
  })
})
