import { expect } from 'chai'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BusEvent } from '../../../kernel/events/bus.js'
import { cleanup, git, gitRepo, startServer, tempDir } from '../../support/helper.js'
import { expectMatchesReference } from '../../support/openapi.js'

async function workspaceServer() {
  const repo = gitRepo({ 'README.md': '# test\n', 'src/a.txt': 'a\n' })
  mkdirSync(join(repo, 'sub'))
  const server = await startServer({
    cwd: repo,
    only: ['core', 'agent', 'provider', 'session', 'project', 'worktree', 'workspace', 'sync'],
  })
  const events: BusEvent[] = []
  server.kernel.bus.subscribe((event) => events.push(event))
  const call = async (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await server.app.inject({
      method,
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    return { status: response.statusCode, body: response.body ? response.json() : undefined }
  }
  const at = (directory: string) => `directory=${encodeURIComponent(directory)}`
  return { repo, server, events, call, at }
}

describe('plugin: workspace', () => {
  afterEach(cleanup)

  it('lists the worktree adapter, and no workspaces before one is made', async () => {
    const { call, at, repo } = await workspaceServer()
    const adapters = await call('GET', `/experimental/workspace/adapter?${at(repo)}`)
    expect(adapters.body).to.deep.equal([{ type: 'worktree', name: 'Worktree', description: 'Create a git worktree' }])
    expectMatchesReference('GET', '/experimental/workspace/adapter', 200, adapters.body)
    for (const path of ['/experimental/workspace', '/experimental/workspace/status']) {
      const answer = await call('GET', `${path}?${at(repo)}`)
      expect(answer).to.deep.equal({ status: 200, body: [] })
    }
  })

  it('creates a worktree workspace whose id routes requests to its checkout, by query or header', async () => {
    const { call, at, repo, events } = await workspaceServer()
    const created = await call('POST', `/experimental/workspace?${at(repo)}`, {
      type: 'worktree',
      branch: 'opencode/feature-x',
      extra: { note: 'mine' },
    })
    expect(created.status, JSON.stringify(created.body)).to.equal(200)
    expectMatchesReference('POST', '/experimental/workspace', 200, created.body)
    const workspace = created.body
    expect(workspace).to.deep.include({
      type: 'worktree',
      name: 'feature-x',
      branch: 'opencode/feature-x',
      extra: { note: 'mine' },
    })
    expect(workspace.id).to.match(/^wrk_/)
    expect(git(workspace.directory, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('opencode/feature-x')
    expect(
      events.some((e) => e.payload.type === 'workspace.ready' && e.payload.properties.name === 'feature-x'),
    ).to.equal(true)

    const listed = await call('GET', `/experimental/workspace?${at(repo)}`)
    expect(listed.body).to.deep.equal([workspace])
    expectMatchesReference('GET', '/experimental/workspace', 200, listed.body)
    const status = await call('GET', `/experimental/workspace/status?${at(repo)}`)
    expect(status.body).to.deep.equal([{ workspaceID: workspace.id, status: 'connected' }])
    expectMatchesReference('GET', '/experimental/workspace/status', 200, status.body)

    expect((await call('GET', `/path?workspace=${workspace.id}`)).body.directory).to.equal(workspace.directory)
    expect((await call('GET', '/path', undefined, { 'x-opencode-workspace': workspace.id })).body.directory).to.equal(
      workspace.directory,
    )
    // The workspace wins over a directory named beside it.
    expect((await call('GET', `/path?${at(repo)}&workspace=${workspace.id}`)).body.directory).to.equal(
      workspace.directory,
    )
    const session = await call('POST', `/session?workspace=${workspace.id}`, {})
    expect(session.body.directory).to.equal(workspace.directory)
    // v2 location routes resolve `location[workspace]` the same way (an unknown id is echoed, as OpenCode).
    const located = await call(
      'GET',
      `/api/location?location[directory]=${encodeURIComponent(repo)}&location[workspace]=${workspace.id}`,
    )
    expect(located.body).to.deep.include({ directory: workspace.directory, workspaceID: workspace.id })
    const echoed = await call(
      'GET',
      `/api/location?location[directory]=${encodeURIComponent(repo)}&location[workspace]=wrk_unknown`,
    )
    expect(echoed.body).to.deep.include({ directory: repo, workspaceID: 'wrk_unknown' })

    // /sync/steal hands a session of the project to the workspace the request names.
    const other = (await call('POST', `/session?${at(repo)}`, {})).body
    const stolen = await call('POST', `/sync/steal?workspace=${workspace.id}`, { sessionID: other.id })
    expect(stolen).to.deep.equal({ status: 200, body: { sessionID: other.id } })
    expect((await call('GET', `/session/${other.id}?${at(repo)}`)).body.workspaceID).to.equal(workspace.id)

    const unknown = await call('GET', '/path?workspace=wrk_unknown')
    expect(unknown.status).to.equal(404)
    expect(unknown.body).to.deep.equal({ name: 'NotFoundError', data: { message: 'Workspace not found: wrk_unknown' } })
    const malformed = await call('GET', '/path', undefined, { 'x-opencode-workspace': '../etc' })
    expect(malformed.status).to.equal(400)
    expect(malformed.body.data.kind).to.equal('Headers')
  })

  it('refuses what it cannot create with 400 WorkspaceCreateError and leaves nothing behind', async () => {
    const { call, at, repo } = await workspaceServer()
    const other = await call('POST', `/experimental/workspace?${at(repo)}`, { type: 'ssh' })
    expect(other.status).to.equal(400)
    expect(other.body.name).to.equal('WorkspaceCreateError')
    expectMatchesReference('POST', '/experimental/workspace', 400, other.body)
    expect(
      (await call('POST', `/experimental/workspace?${at(repo)}`, { type: 'worktree', branch: 'Not A Branch' })).body
        .name,
    ).to.equal('WorkspaceCreateError')
    const first = (await call('POST', `/experimental/workspace?${at(repo)}`, { type: 'worktree', id: 'wrk_chosen1' }))
      .body
    expect(first.id).to.equal('wrk_chosen1')
    expect(
      (await call('POST', `/experimental/workspace?${at(repo)}`, { type: 'worktree', id: 'wrk_chosen1' })).body.data
        .message,
    ).to.match(/already exists/)
    expect(
      (await call('POST', `/experimental/workspace?${at(repo)}`, { type: 'worktree', branch: first.name })).body.name,
    ).to.equal('WorkspaceCreateError')
    const plain = tempDir()
    expect(
      (await call('POST', `/experimental/workspace?${at(plain)}`, { type: 'worktree' })).body.data.message,
    ).to.match(/only supported for git/)
    expect((await call('POST', `/experimental/workspace?${at(repo)}`, {})).status).to.equal(400)
    expect((await call('GET', `/experimental/workspace?${at(repo)}`)).body.map((w: any) => w.id)).to.deep.equal([
      'wrk_chosen1',
    ])
  })

  it('warps a session into a workspace with a copy of its changes, and back; session.next.moved joins the sync log', async () => {
    const { call, at, repo, events } = await workspaceServer()
    const workspace = (await call('POST', `/experimental/workspace?${at(repo)}`, { type: 'worktree' })).body
    const session = (await call('POST', `/session?${at(repo)}`, {})).body
    writeFileSync(join(repo, 'src/a.txt'), 'a, edited\n')
    writeFileSync(join(repo, 'new.txt'), 'new file\n')

    const warped = await call('POST', `/experimental/workspace/warp?${at(repo)}`, {
      id: workspace.id,
      sessionID: session.id,
      copyChanges: true,
    })
    expect(warped.status, JSON.stringify(warped.body)).to.equal(204)
    expect(readFileSync(join(workspace.directory, 'src/a.txt'), 'utf8')).to.equal('a, edited\n')
    expect(readFileSync(join(workspace.directory, 'new.txt'), 'utf8')).to.equal('new file\n')
    // Copied, not moved: the user's checkout keeps its changes.
    expect(readFileSync(join(repo, 'src/a.txt'), 'utf8')).to.equal('a, edited\n')
    const moved = (await call('GET', `/session/${session.id}?${at(repo)}`)).body
    expect(moved).to.deep.include({ directory: workspace.directory, workspaceID: workspace.id, path: '' })
    const next = events.find((e) => e.payload.type === 'session.next.moved')!
    expect(next.directory).to.equal(workspace.directory)
    expect(next.payload.properties).to.deep.include({
      sessionID: session.id,
      location: { directory: workspace.directory, workspaceID: workspace.id },
    })
    expect((await call('GET', `/session?workspace=${workspace.id}`)).body.map((s: any) => s.id)).to.deep.equal([
      session.id,
    ])
    const log = (await call('POST', `/sync/history?${at(repo)}`, {})).body.filter(
      (e: any) => e.aggregate_id === session.id,
    )
    expect(log.map((e: any) => e.type)).to.include('session.next.moved.1')

    expect(
      (await call('POST', `/experimental/workspace/warp?${at(repo)}`, { id: null, sessionID: session.id })).status,
    ).to.equal(204)
    const back = (await call('GET', `/session/${session.id}?${at(repo)}`)).body
    expect(back.directory).to.equal(repo)
    expect(back.workspaceID).to.equal(undefined)

    const unknown = await call('POST', `/experimental/workspace/warp?${at(repo)}`, {
      id: 'wrk_nope',
      sessionID: session.id,
    })
    expect(unknown.status).to.equal(404)
    expectMatchesReference('POST', '/experimental/workspace/warp', 404, unknown.body)
    expect(
      (await call('POST', `/experimental/workspace/warp?${at(repo)}`, { id: workspace.id, sessionID: 'ses_nope' }))
        .status,
    ).to.equal(404)

    // Changes that do not apply there: 400 VcsApplyError, and the session stays where it is.
    writeFileSync(join(workspace.directory, 'src/a.txt'), 'something else entirely\n')
    writeFileSync(join(repo, 'src/a.txt'), 'a, edited again\n')
    const conflict = await call('POST', `/experimental/workspace/warp?${at(repo)}`, {
      id: workspace.id,
      sessionID: session.id,
      copyChanges: true,
    })
    expect(conflict.status).to.equal(400)
    expect(conflict.body.name).to.equal('VcsApplyError')
    expectMatchesReference('POST', '/experimental/workspace/warp', 400, conflict.body)
    expect((await call('GET', `/session/${session.id}?${at(repo)}`)).body.directory).to.equal(repo)
  })

  it('removes a workspace with its checkout (null for an unknown id), and sync-list forgets one whose checkout is gone', async () => {
    const { call, at, repo } = await workspaceServer()
    const one = (await call('POST', `/experimental/workspace?${at(repo)}`, { type: 'worktree' })).body
    const two = (await call('POST', `/experimental/workspace?${at(repo)}`, { type: 'worktree' })).body
    const removed = await call('DELETE', `/experimental/workspace/${one.id}?${at(repo)}`)
    expect(removed).to.deep.equal({ status: 200, body: one })
    expectMatchesReference('DELETE', '/experimental/workspace/{id}', 200, removed.body)
    expect(existsSync(one.directory)).to.equal(false)
    expect(git(repo, 'branch', '--list', one.branch)).to.equal('')
    expect(await call('DELETE', `/experimental/workspace/${one.id}?${at(repo)}`)).to.deep.equal({
      status: 200,
      body: null,
    })
    expect((await call('DELETE', `/experimental/workspace/nope?${at(repo)}`)).status).to.equal(400)

    expect((await call('DELETE', `/experimental/worktree?${at(repo)}`, { directory: two.directory })).status).to.equal(
      200,
    )
    expect((await call('GET', `/experimental/workspace/status?${at(repo)}`)).body).to.deep.equal([
      { workspaceID: two.id, status: 'error' },
    ])
    expect((await call('POST', `/experimental/workspace/sync-list?${at(repo)}`)).status).to.equal(204)
    expect((await call('GET', `/experimental/workspace?${at(repo)}`)).body).to.deep.equal([])
  })

  it('moves a session to another directory of its project, carrying its changes when asked (400 MoveSessionError for another project)', async () => {
    const { call, at, repo, events } = await workspaceServer()
    const session = (await call('POST', `/session?${at(repo)}`, {})).body
    const sub = join(repo, 'sub')
    expect(
      (
        await call('POST', `/experimental/control-plane/move-session?${at(repo)}`, {
          sessionID: session.id,
          destination: { directory: sub },
        })
      ).status,
    ).to.equal(204)
    expect((await call('GET', `/session/${session.id}?${at(repo)}`)).body).to.deep.include({
      directory: sub,
      path: 'sub',
    })
    expect((await call('GET', `/session?${at(sub)}`)).body.map((s: any) => s.id)).to.deep.equal([session.id])
    expect(events.find((e) => e.payload.type === 'session.next.moved')!.payload.properties).to.deep.include({
      location: { directory: sub },
      subdirectory: 'sub',
    })

    const sandbox = (await call('POST', `/experimental/worktree?${at(repo)}`, {})).body.directory
    writeFileSync(join(repo, 'src/a.txt'), 'moving along\n')
    writeFileSync(join(repo, 'untracked.txt'), 'me too\n')
    const moved = await call('POST', `/experimental/control-plane/move-session?${at(repo)}`, {
      sessionID: session.id,
      destination: { directory: sandbox },
      moveChanges: true,
    })
    expect(moved.status, JSON.stringify(moved.body)).to.equal(204)
    expect(readFileSync(join(sandbox, 'src/a.txt'), 'utf8')).to.equal('moving along\n')
    expect(readFileSync(join(sandbox, 'untracked.txt'), 'utf8')).to.equal('me too\n')
    // Moved: the user's checkout is back at HEAD.
    expect(git(repo, 'status', '--porcelain')).to.equal('')

    const elsewhere = gitRepo()
    const other = await call('POST', `/experimental/control-plane/move-session?${at(repo)}`, {
      sessionID: session.id,
      destination: { directory: elsewhere },
    })
    expect(other.status).to.equal(400)
    expect(other.body.name).to.equal('MoveSessionError')
    expectMatchesReference('POST', '/experimental/control-plane/move-session', 400, other.body)
    expect(
      (
        await call('POST', `/experimental/control-plane/move-session?${at(repo)}`, {
          sessionID: session.id,
          destination: { directory: join(repo, 'missing') },
        })
      ).body.name,
    ).to.equal('MoveSessionError')
    expect(
      (
        await call('POST', `/experimental/control-plane/move-session?${at(repo)}`, {
          sessionID: 'ses_nope',
          destination: { directory: sub },
        })
      ).status,
    ).to.equal(404)
    expect(
      (await call('POST', `/experimental/control-plane/move-session?${at(repo)}`, { sessionID: session.id })).status,
    ).to.equal(400)
    expect((await call('GET', `/session/${session.id}?${at(repo)}`)).body.directory).to.equal(sandbox)
  })

  it('copies a project into a worktree, names copies, refreshes, and removes a copy (force needed for uncommitted work)', async () => {
    const { call, at, repo } = await workspaceServer()
    const projectID = (await call('GET', `/project/current?${at(repo)}`)).body.id
    const named = await call('POST', `/experimental/project/${projectID}/copy/generate-name?${at(repo)}`, {
      context: 'a parser',
    })
    expect(named.body.name).to.match(/^[a-z]+-[a-z]+$/)
    expectMatchesReference('POST', '/experimental/project/{projectID}/copy/generate-name', 200, named.body)

    const copy = await call('POST', `/experimental/project/${projectID}/copy?${at(repo)}`, {
      strategy: 'worktree',
      directory: repo,
      name: named.body.name,
    })
    expect(copy.status, JSON.stringify(copy.body)).to.equal(200)
    expectMatchesReference('POST', '/experimental/project/{projectID}/copy', 200, copy.body)
    expect(readFileSync(join(copy.body.directory, 'src/a.txt'), 'utf8')).to.equal('a\n')

    const unavailable = await call('POST', `/experimental/project/${projectID}/copy?${at(repo)}`, {
      strategy: 'clone',
      directory: repo,
    })
    expect(unavailable.status).to.equal(400)
    expect(unavailable.body).to.deep.equal({
      name: 'ProjectCopyError',
      data: { message: 'strategy unavailable: clone' },
    })
    expectMatchesReference('POST', '/experimental/project/{projectID}/copy', 400, unavailable.body)
    expect(
      (
        await call('POST', `/experimental/project/${projectID}/copy?${at(repo)}`, {
          strategy: 'worktree',
          directory: gitRepo(),
        })
      ).body.name,
    ).to.equal('ProjectCopyError')
    expect(
      (await call('POST', `/experimental/project/other/copy?${at(repo)}`, { strategy: 'worktree', directory: repo }))
        .status,
    ).to.equal(404)

    expect((await call('POST', `/experimental/project/${projectID}/copy/refresh?${at(repo)}`)).status).to.equal(204)
    writeFileSync(join(copy.body.directory, 'wip.txt'), 'work in progress\n')
    const guarded = await call('DELETE', `/experimental/project/${projectID}/copy?${at(repo)}`, {
      directory: copy.body.directory,
      force: false,
    })
    expect(guarded.status).to.equal(400)
    expect(guarded.body.data.forceRequired).to.equal(true)
    expectMatchesReference('DELETE', '/experimental/project/{projectID}/copy', 400, guarded.body)
    expect(existsSync(copy.body.directory)).to.equal(true)
    expect(
      (
        await call('DELETE', `/experimental/project/${projectID}/copy?${at(repo)}`, {
          directory: copy.body.directory,
          force: true,
        })
      ).status,
    ).to.equal(204)
    expect(existsSync(copy.body.directory)).to.equal(false)
    expect(
      (await call('DELETE', `/experimental/project/${projectID}/copy?${at(repo)}`, { directory: repo, force: true }))
        .body.data.message,
    ).to.match(/directory unavailable/)
  })
})
