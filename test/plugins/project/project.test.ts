import { expect } from 'chai'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { BusEvent } from '../../../kernel/events/bus.js'
import { cleanup, git, gitRepo, startServer, tempDir, type TestServer } from '../../support/helper.js'
import { expectMatchesReference } from '../../support/openapi.js'

function rootCommit(repo: string): string {
  return git(repo, 'rev-list', '--max-parents=0', 'HEAD')
}

/** Resolves with the properties of the next `type` event published for `directory`. */
function nextEvent(server: TestServer, type: string, directory: string): Promise<BusEvent['payload']['properties']> {
  return new Promise((resolve) => {
    const unsubscribe = server.kernel.bus.subscribe((event) => {
      if (event.payload.type !== type) return
      unsubscribe()
      resolve(event.payload.properties)
    }, directory)
  })
}

/** A `project.updated` payload without the keys OpenCode 2.1 adds (checked here): the 1.x project. */
function legacyProject(properties: any): unknown {
  expect(properties.canonical).to.equal(properties.worktree)
  expect(properties.time.active).to.be.a('number')
  const {
    canonical: _canonical,
    time: { active: _active, ...time },
    ...rest
  } = properties
  return { ...rest, time }
}

describe('plugin: project', () => {
  afterEach(cleanup)

  it('records the project of a git repository when an instance boots, its id the root commit', async () => {
    const server = await startServer({ only: ['core', 'project'] })
    const repo = gitRepo()
    const response = await server.app.inject({ url: `/project/projects/current?directory=${repo}` })
    expect(response.statusCode).to.equal(200)
    const project = response.json()
    expect(project).to.include({ id: rootCommit(repo), worktree: repo, vcs: 'git' })
    expect(project.sandboxes).to.deep.equal([])
    expect(project.time.created).to.be.a('number').and.to.equal(project.time.updated)
    expect((await server.app.inject({ url: `/project/current?directory=${repo}` })).json()).to.deep.equal(project)
  })

  it('answers the global project, worktree "/", outside git', async () => {
    const server = await startServer({ only: ['core', 'project'] })
    const project = (await server.app.inject({ url: `/project/current?directory=${tempDir()}` })).json()
    expect(project).to.include({ id: 'global', worktree: '/' })
    expect(project).to.not.have.property('vcs')
  })

  it("lists every project opened, oldest first, on the seed path and on OpenCode's", async () => {
    const server = await startServer({ only: ['core', 'project'] })
    const first = gitRepo({ 'a.txt': 'a' })
    const second = gitRepo({ 'b.txt': 'b' })
    await server.app.inject({ url: `/path?directory=${first}` })
    await server.app.inject({ url: `/path?directory=${second}` })
    const listed = (await server.app.inject({ url: `/project/projects?directory=${second}` })).json()
    const ids = listed.map((project: { id: string }) => project.id)
    expect(ids).to.include.members([rootCommit(first), rootCommit(second)])
    expect(ids.indexOf(rootCommit(first))).to.be.below(ids.indexOf(rootCommit(second)))
    expect((await server.app.inject({ url: `/project?directory=${second}` })).json()).to.deep.equal(listed)
  })

  it('updates name, icon and colour (the seed body), answers the project and publishes project.updated', async () => {
    const server = await startServer({ only: ['core', 'project'] })
    const repo = gitRepo()
    const id = rootCommit(repo)
    const before = (await server.app.inject({ url: `/project/current?directory=${repo}` })).json()
    const published = nextEvent(server, 'project.updated', repo)
    const response = await server.app.inject({
      method: 'PATCH',
      url: `/project/projects/${id}?directory=${repo}`,
      payload: { name: 'My Project', icon: 'folder', color: '#ff5500' },
    })
    expect(response.statusCode).to.equal(200)
    const project = response.json()
    expect(project).to.include({ id, name: 'My Project' })
    expect(project.icon).to.deep.equal({ override: 'folder', color: '#ff5500' })
    expect(project.time.created).to.equal(before.time.created)
    expect(project.time.updated).to.be.at.least(before.time.updated)
    expect(legacyProject(await published)).to.deep.equal(project)
    expect((await server.app.inject({ url: `/project/projects/current?directory=${repo}` })).json()).to.deep.equal(
      project,
    )
  })

  it("accepts OpenCode's body on OpenCode's path, merging the icon and commands", async () => {
    const server = await startServer({ only: ['core', 'project'] })
    const repo = gitRepo()
    const id = rootCommit(repo)
    await server.app.inject({
      method: 'PATCH',
      url: `/project/${id}?directory=${repo}`,
      payload: { icon: { override: 'rocket', color: '#00AA11' } },
    })
    const response = await server.app.inject({
      method: 'PATCH',
      url: `/project/${id}?directory=${repo}`,
      payload: { icon: { url: 'data:image/png;base64,AAAA' }, commands: { start: 'npm run dev' } },
    })
    expect(response.statusCode).to.equal(200)
    expect(response.json().icon).to.deep.equal({
      override: 'rocket',
      color: '#00AA11',
      url: 'data:image/png;base64,AAAA',
    })
    expect(response.json().commands).to.deep.equal({ start: 'npm run dev' })
    const cleared = await server.app.inject({
      method: 'PATCH',
      url: `/project/${id}?directory=${repo}`,
      payload: { icon: null, name: 'x' },
    })
    expect(cleared.json()).to.not.have.property('icon')
    const unnamed = await server.app.inject({
      method: 'PATCH',
      url: `/project/${id}?directory=${repo}`,
      payload: { name: '' },
    })
    expect(unnamed.json()).to.not.have.property('name')
  })

  it('rejects a colour that is not #rrggbb with 400 and changes nothing', async () => {
    const server = await startServer({ only: ['core', 'project'] })
    const repo = gitRepo()
    const id = rootCommit(repo)
    const before = (await server.app.inject({ url: `/project/current?directory=${repo}` })).json()
    for (const payload of [
      { color: 'red' },
      { color: '#ff550' },
      { icon: { color: 'blue' } },
      { name: 'x', color: '#gg0000' },
    ]) {
      const response = await server.app.inject({
        method: 'PATCH',
        url: `/project/projects/${id}?directory=${repo}`,
        payload,
      })
      expect(response.statusCode, JSON.stringify(payload)).to.equal(400)
      expect(response.json().name).to.equal('BadRequest')
      expect(response.json().data.message).to.include('color')
    }
    expect((await server.app.inject({ url: `/project/current?directory=${repo}` })).json()).to.deep.equal(before)
  })

  it('answers 404 NotFoundError for an unknown project id', async () => {
    const server = await startServer({ only: ['core', 'project'] })
    for (const url of ['/project/projects/nope', '/project/nope']) {
      const response = await server.app.inject({ method: 'PATCH', url, payload: { name: 'x' } })
      expect(response.statusCode).to.equal(404)
      expect(response.json()).to.deep.equal({ name: 'NotFoundError', data: { message: 'Project not found: nope' } })
    }
  })

  it('keeps the project id, name and creation time across restarts with the same data dir', async () => {
    const dataDir = tempDir('ok-data-')
    const repo = gitRepo()
    const first = await startServer({ only: ['core', 'project'], dataDir })
    const created = (await first.app.inject({ url: `/project/current?directory=${repo}` })).json()
    await first.app.inject({
      method: 'PATCH',
      url: `/project/${created.id}?directory=${repo}`,
      payload: { name: 'kept' },
    })
    await first.close()

    const second = await startServer({ only: ['core', 'project'], dataDir })
    const reopened = (await second.app.inject({ url: `/project/current?directory=${repo}` })).json()
    expect(reopened.id).to.equal(created.id).and.to.equal(rootCommit(repo))
    expect(reopened.name).to.equal('kept')
    expect(reopened.time.created).to.equal(created.time.created)
    expect(reopened.time.updated).to.be.at.least(created.time.updated)
    expect(
      (await second.app.inject({ url: '/project' }))
        .json()
        .filter((project: { id: string }) => project.id === created.id),
    ).to.have.length(1)
  })

  it('adds another worktree of the same repository to sandboxes', async () => {
    const server = await startServer({ only: ['core', 'project'] })
    const repo = gitRepo()
    const linked = join(tempDir(), 'linked')
    git(repo, 'worktree', 'add', '-q', '-b', 'other', linked)
    await server.app.inject({ url: `/path?directory=${repo}` })
    const project = (await server.app.inject({ url: `/project/current?directory=${linked}` })).json()
    expect(project).to.include({ id: rootCommit(repo), worktree: repo })
    expect(project.sandboxes).to.deep.equal([linked])
    const directories = await server.app.inject({ url: `/project/${project.id}/directories?directory=${repo}` })
    expect(directories.json()).to.deep.equal([{ directory: repo }, { directory: linked }])
    expect((await server.app.inject({ url: `/project/unknown/directories?directory=${repo}` })).statusCode).to.equal(
      404,
    )
  })

  it('adds and removes sandboxes through app.projects, publishing project.updated only when the list changes', async () => {
    const server = await startServer({ only: ['core', 'project'] })
    const repo = gitRepo()
    await server.app.inject({ url: `/path?directory=${repo}` })
    const instance = await server.kernel.instances.get(repo)
    const published: unknown[] = []
    server.kernel.bus.subscribe((event) => {
      if (event.payload.type === 'project.updated') published.push(event.payload.properties)
    }, repo)

    const added = server.app.projects.addSandbox(instance, '/sandboxes/one')
    expect(added.sandboxes).to.deep.equal(['/sandboxes/one'])
    expect(server.app.projects.addSandbox(instance, '/sandboxes/one').sandboxes).to.deep.equal(['/sandboxes/one'])
    server.app.projects.addSandbox(instance, '/sandboxes/two')
    expect(published).to.have.length(2)
    expect(legacyProject(published[0])).to.deep.equal(added)

    const removed = server.app.projects.removeSandbox(instance, '/sandboxes/one')
    expect(removed.sandboxes).to.deep.equal(['/sandboxes/two'])
    expect(server.app.projects.removeSandbox(instance, '/sandboxes/unknown').sandboxes).to.deep.equal([
      '/sandboxes/two',
    ])
    expect(published).to.have.length(3)
    expect((await server.app.inject({ url: `/project/current?directory=${repo}` })).json()).to.deep.equal(removed)
  })
})

describe('plugin: project (git init)', () => {
  afterEach(cleanup)

  it('runs git init in a plain directory, answers the refreshed project and publishes project.updated', async () => {
    const server = await startServer({ only: ['core', 'project', 'vcs'] })
    const directory = tempDir()
    expect((await server.app.inject({ url: `/vcs?directory=${directory}` })).json()).to.deep.equal({ branch: null })
    const updated = nextEvent(server, 'project.updated', directory)
    const response = await server.app.inject({ method: 'POST', url: `/project/git/init?directory=${directory}` })
    expect(response.statusCode, response.body).to.equal(200)
    const project = response.json()
    expectMatchesReference('POST', '/project/git/init', 200, project)
    expect(project).to.include({ id: 'global', worktree: directory, vcs: 'git' })
    expect(legacyProject(await updated)).to.deep.equal(project)
    expect(git(directory, 'rev-parse', '--is-inside-work-tree')).to.equal('true')
    // The instance was booted again: the vcs plugin sees the repository now.
    expect((await server.app.inject({ url: `/vcs?directory=${directory}` })).json().branch).to.be.a('string')
    // Other directories outside git still belong to the global project without vcs.
    expect((await server.app.inject({ url: `/project/current?directory=${tempDir()}` })).json()).to.not.have.property(
      'vcs',
    )

    // After a first commit the project gets its own id.
    git(directory, 'commit', '-q', '--allow-empty', '-m', 'first')
    await server.app.inject({ method: 'POST', url: `/instance/dispose?directory=${directory}` })
    const current = (await server.app.inject({ url: `/project/current?directory=${directory}` })).json()
    expect(current).to.include({ id: rootCommit(directory), worktree: directory, vcs: 'git' })
  })

  it('leaves a directory inside a repository alone and answers its project', async () => {
    const server = await startServer({ only: ['core', 'project'] })
    const repo = gitRepo()
    const sub = join(repo, 'sub')
    mkdirSync(sub)
    const response = await server.app.inject({ method: 'POST', url: `/project/git/init?directory=${sub}` })
    expect(response.statusCode).to.equal(200)
    expect(response.json()).to.include({ id: rootCommit(repo), worktree: repo, vcs: 'git' })
    expect(existsSync(join(sub, '.git'))).to.equal(false)
  })
})
