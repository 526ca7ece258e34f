import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { readFileSync, realpathSync } from 'node:fs'
import type { EventPayload } from '../../../kernel/events/bus.js'
import { cleanup, gitRepo, listen, onCleanup, startServer, tempDir } from '../../support/helper.js'
import { expectMatches21, reference21 } from '../../support/openapi.js'
import { until } from '../../support/session.js'
import { connect } from '../../support/terminal-socket.js'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A shell that reads no profile, so its output is predictable. */
const QUIET_SHELL = { command: 'bash', args: ['--noprofile', '--norc'] }

async function apiServer(password?: string) {
  const repo = realpathSync(gitRepo())
  const server = await startServer({ cwd: repo, only: ['core', 'pty'], password })
  const events: EventPayload[] = []
  onCleanup(server.kernel.bus.subscribe((event) => events.push(event.payload), repo))
  const auth: Record<string, string> = password
    ? { authorization: `Basic ${Buffer.from(`opencode:${password}`).toString('base64')}` }
    : {}
  const location = `location[directory]=${encodeURIComponent(repo)}`
  const call = async (method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const response = await server.app.inject({
      method: method as 'GET',
      url: url + (url.includes('?') ? '&' : '?') + location,
      headers: { ...auth, ...headers },
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined }
  }
  return { repo, server, events, call, auth, base: await listen(server) }
}

describe('pty: /api/pty (OpenCode 2.1)', () => {
  afterEach(cleanup)

  it("lists every /api/pty and persistent terminal operation in /doc under OpenCode 2.1's operationId", async () => {
    const { server } = await apiServer()
    const document = (await server.app.inject({ url: '/doc' })).json()
    const ours = reference21.paths
    let checked = 0
    for (const [path, item] of Object.entries(ours)) {
      if (!/^\/api\/(pty|experimental\/(persistent-pty|session\/\{sessionID\}\/terminal))/.test(path)) continue
      for (const [method, operation] of Object.entries<any>(item)) {
        expect(document.paths[path]?.[method]?.operationId, `${method} ${path}`).to.equal(operation.operationId)
        checked++
      }
    }
    expect(checked).to.equal(18)
  })

  it('creates, lists, gets, renames and removes the same terminals as /pty (with the 1.18 SDK)', async () => {
    const { repo, server, base, events } = await apiServer()
    const client = createOpencodeClient({ baseUrl: base })
    const location = { directory: repo }

    const created = (await client.v2.pty.create({ location, ...QUIET_SHELL, title: 'build' }, { throwOnError: true }))
      .data!
    expectMatches21('POST', '/api/pty', 200, created)
    expect(created.location).to.deep.equal({ directory: repo })
    expect(created.data).to.include({ title: 'build', status: 'running', cwd: repo })
    expect(created.data.args).to.deep.equal(['--noprofile', '--norc', '-l'])
    const id = created.data.id

    const listed = (await client.v2.pty.list({ location }, { throwOnError: true })).data!
    expectMatches21('GET', '/api/pty', 200, listed)
    expect(listed.data.map((pty) => pty.id)).to.deep.equal([id])
    const v1 = (await server.app.inject({ url: `/pty?directory=${encodeURIComponent(repo)}` })).json()
    expect(v1.map((pty: { id: string }) => pty.id)).to.deep.equal([id])

    const got = (await client.v2.pty.get({ ptyID: id, location }, { throwOnError: true })).data!
    expectMatches21('GET', '/api/pty/{ptyID}', 200, got)
    const renamed = (
      await client.v2.pty.update(
        { ptyID: id, location, title: 'tests', size: { rows: 30, cols: 100 } },
        { throwOnError: true },
      )
    ).data!
    expectMatches21('PUT', '/api/pty/{ptyID}', 200, renamed)
    expect(renamed.data.title).to.equal('tests')

    const removed = await client.v2.pty.remove({ ptyID: id, location })
    expect(removed.response.status).to.equal(204)
    const gone = await server.app.inject({ url: `/api/pty/${id}?location[directory]=${encodeURIComponent(repo)}` })
    expect(gone.statusCode).to.equal(404)
    expect(gone.json()).to.deep.equal({ _tag: 'PtyNotFoundError', message: `PTY session not found: ${id}`, ptyID: id })
    expectMatches21('GET', '/api/pty/{ptyID}', 404, gone.json())
    // The events both dialects read: pty.created|updated {info}, pty.deleted {id}.
    expect(events.filter((e) => e.type.startsWith('pty.')).map((e) => e.type)).to.deep.equal([
      'pty.created',
      'pty.updated',
      'pty.deleted',
    ])
    expect(events.find((e) => e.type === 'pty.updated')?.properties).to.deep.equal({ info: renamed.data })
    expect(events.find((e) => e.type === 'pty.deleted')?.properties).to.deep.equal({ id })
  })

  it('keeps an exited terminal with its exit code until it is removed; /pty no longer shows it', async () => {
    const t = await apiServer()
    const { id } = (await t.call('POST', '/api/pty', { command: 'sh', args: ['-c', 'exit 3'] })).body.data
    await until(() => t.events.some((e) => e.type === 'pty.exited'), 5000, 'pty.exited')
    expect(t.events.find((e) => e.type === 'pty.exited')?.properties).to.deep.equal({ id, exitCode: 3 })

    const got = await t.call('GET', `/api/pty/${id}`)
    expectMatches21('GET', '/api/pty/{ptyID}', 200, got.body)
    expect(got.body.data).to.include({ status: 'exited', exitCode: 3 })
    expect((await t.call('GET', '/api/pty')).body.data.map((pty: { id: string }) => pty.id)).to.deep.equal([id])
    expect((await t.call('GET', '/pty')).body).to.deep.equal([])
    expect((await t.call('GET', `/pty/${id}`)).status).to.equal(404)

    const renamed = await t.call('PUT', `/api/pty/${id}`, { title: 'after', size: { rows: 10, cols: 10 } })
    expect(renamed.body.data).to.include({ title: 'after', status: 'exited' })
    const token = await t.call('POST', `/api/pty/${id}/connect-token`, undefined, { 'x-opencode-ticket': '1' })
    expectMatches21('POST', '/api/pty/{ptyID}/connect-token', 200, token.body)
    // As OpenCode 2.1: the upgrade succeeds, then the socket closes with 4404.
    const socket = await connect(t.base, id, { 'location[directory]': t.repo }, {}, '/api')
    expect(await socket.closed).to.deep.equal({ code: 4404, reason: 'session exited' })

    expect((await t.call('DELETE', `/api/pty/${id}`)).status).to.equal(204)
    expect(t.events.filter((e) => e.type === 'pty.deleted').map((e) => e.properties)).to.deep.equal([{ id }])
    expect((await t.call('GET', `/api/pty/${id}`)).status).to.equal(404)
    expect((await t.call('GET', '/api/pty')).body.data).to.deep.equal([])
  })

  it('kills a terminal whose program ignores the hangup, after a grace', async () => {
    const t = await apiServer()
    const { id, pid } = (
      await t.call('POST', '/api/pty', { command: 'sh', args: ['-c', "trap '' HUP; exec sleep 60"] })
    ).body.data
    await until(
      () => readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep'),
      5000,
      'sleep ignoring the hangup',
    )
    expect((await t.call('DELETE', `/api/pty/${id}`)).status).to.equal(204)
    await until(() => !alive(pid), 5000, 'the process to be killed')
  })

  it("connects through the SDK's ticket and URL on a password-protected server and echoes input", async () => {
    const t = await apiServer('sesame')
    const client = createOpencodeClient({ baseUrl: t.base, headers: t.auth })
    const location = { directory: t.repo }
    const pty = (await client.v2.pty.create({ location, ...QUIET_SHELL }, { throwOnError: true })).data!.data

    const refused = await client.v2.pty.connectToken({ ptyID: pty.id, location })
    expect(refused.response.status).to.equal(403)
    expect(refused.error).to.deep.equal({ _tag: 'ForbiddenError', message: 'Invalid PTY connect token request' })
    expectMatches21('POST', '/api/pty/{ptyID}/connect-token', 403, refused.error)
    // The header is checked before the id: an unknown terminal without it is a 403 too.
    expect((await client.v2.pty.connectToken({ ptyID: 'pty_nope', location })).response.status).to.equal(403)
    const unknown = await client.v2.pty.connectToken(
      { ptyID: 'pty_nope', location },
      { headers: { 'x-opencode-ticket': '1' } },
    )
    expect(unknown.response.status).to.equal(404)
    expectMatches21('POST', '/api/pty/{ptyID}/connect-token', 404, unknown.error)

    const token = (
      await client.v2.pty.connectToken(
        { ptyID: pty.id, location },
        { headers: { 'x-opencode-ticket': '1' }, throwOnError: true },
      )
    ).data!
    expectMatches21('POST', '/api/pty/{ptyID}/connect-token', 200, token)
    expect(token.data.expires_in).to.equal(60)
    const { ticket } = token.data

    // The SDK's `connect` is a plain GET, which fetch cannot upgrade: a tagged 400; unknown: 404.
    const plain = await client.v2.pty.connect({ ptyID: pty.id, 'location[directory]': t.repo })
    expect(plain.response.status).to.equal(400)
    expect(plain.error).to.deep.include({ _tag: 'InvalidRequestError', message: 'Expected a WebSocket upgrade' })
    expectMatches21('GET', '/api/pty/{ptyID}/connect', 400, plain.error)
    const missing = await client.v2.pty.connect({ ptyID: 'pty_nope', 'location[directory]': t.repo })
    expect(missing.response.status).to.equal(404)
    expectMatches21('GET', '/api/pty/{ptyID}/connect', 404, missing.error)

    // The URL the SDK builds (ticket, location, cursor) is the one a WebSocket opens.
    let built: URL | undefined
    const capture = async (input: string | URL | Request) => {
      built = new URL(input instanceof Request ? input.url : input)
      return new Response('true', { headers: { 'content-type': 'application/json' } })
    }
    await client.v2.pty.connect(
      { ptyID: pty.id, 'location[directory]': t.repo, cursor: '0', ticket },
      { fetch: capture },
    )
    expect(built!.pathname).to.equal(`/api/pty/${pty.id}/connect`)
    const query = Object.fromEntries(built!.searchParams)
    const terminal = await connect(t.base, pty.id, query, {}, '/api')
    expect((await terminal.meta).cursor).to.be.a('number')
    terminal.send('echo v2-$((20+22))\n')
    await until(() => terminal.text().includes('v2-42'))
    terminal.socket.close()

    // A used, unknown or foreign ticket is a 403 on /api (as OpenCode 2.1); no ticket is a 401.
    const status = (q: Record<string, string>) =>
      connect(t.base, pty.id, q, {}, '/api').then(
        () => 101,
        (error) => error.status,
      )
    expect(await status(query)).to.equal(403)
    expect(await status({ ...query, ticket: 'made-up' })).to.equal(403)
    expect(await status({ 'location[directory]': t.repo })).to.equal(401)
    // `/pty` keeps its 401 for a ticket that does not redeem.
    expect(await connect(t.base, pty.id, { ticket: 'made-up' }).then(null, (error) => error.status)).to.equal(401)
  })

  it('rejects bad input with a tagged 400 and unknown terminals with a 404, changing nothing', async () => {
    const t = await apiServer()
    const outside = tempDir()
    const refusals: [string, string, unknown][] = [
      ['POST', '/api/pty', { cwd: outside }],
      ['POST', '/api/pty', { cwd: '../..' }],
      ['POST', '/api/pty', { command: 'no-such-command-here' }],
      ['POST', '/api/pty', { args: 'not-an-array' }],
      ['POST', '/api/pty', { env: { A: 1 } }],
      ['GET', '/api/pty/nope', undefined],
      ['PUT', '/api/pty/pty_x', { size: { rows: 0, cols: 80 } }],
      ['PUT', '/api/pty/pty_x', { title: 5 }],
    ]
    for (const [method, url, payload] of refusals) {
      const answer = await t.call(method, url, payload)
      expect(answer.status, `${method} ${url} ${JSON.stringify(payload)}`).to.equal(400)
      expect(answer.body._tag).to.equal('InvalidRequestError')
      const path = url.startsWith('/api/pty/') ? '/api/pty/{ptyID}' : '/api/pty'
      expectMatches21(method, path, 400, answer.body)
    }
    const badLocation = await t.server.app.inject({ url: '/api/pty?location[directory]=relative/dir' })
    // OpenCode 2.1's answer to a relative location.
    expect(badLocation.statusCode).to.equal(404)
    expect(badLocation.json()._tag).to.equal('LocationNotFoundError')

    for (const [method, path, payload, headers] of [
      ['GET', '/api/pty/{ptyID}', undefined, {}],
      ['PUT', '/api/pty/{ptyID}', { title: 'x' }, {}],
      ['DELETE', '/api/pty/{ptyID}', undefined, {}],
      ['POST', '/api/pty/{ptyID}/connect-token', undefined, { 'x-opencode-ticket': '1' }],
    ] as const) {
      const answer = await t.call(method, path.replace('{ptyID}', 'pty_unknown'), payload, headers)
      expect(answer.status, `${method} ${path}`).to.equal(404)
      expect(answer.body).to.deep.equal({
        _tag: 'PtyNotFoundError',
        ptyID: 'pty_unknown',
        message: 'PTY session not found: pty_unknown',
      })
      expectMatches21(method, path, 404, answer.body)
    }
    expect((await t.call('GET', '/api/pty')).body.data).to.deep.equal([])
    expect(t.events.filter((e) => e.type.startsWith('pty.'))).to.deep.equal([])
  })
})
