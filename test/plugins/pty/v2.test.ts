import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { realpathSync } from 'node:fs'
import { cleanup, gitRepo, listen, startServer } from '../../support/helper.js'
import { expectMatchesReference } from '../../support/openapi.js'
import { until } from '../../support/session.js'
import { connect } from '../../support/terminal-socket.js'

describe('pty: v2 routes', () => {
  after(cleanup)

  it('creates, lists, gets, renames and removes the same terminals as /pty', async () => {
    const repo = realpathSync(gitRepo())
    const server = await startServer({ cwd: repo, only: ['core', 'pty'] })
    const client = createOpencodeClient({ baseUrl: await listen(server) })
    const location = { directory: repo }

    const created = (
      await client.v2.pty.create(
        { location, command: 'bash', args: ['--noprofile', '--norc'], title: 'build' },
        { throwOnError: true },
      )
    ).data!
    expectMatchesReference('POST', '/api/pty', 200, created)
    expect(created.location.directory).to.equal(repo)
    expect(created.data).to.include({ title: 'build', status: 'running', cwd: repo })
    const id = created.data.id

    const listed = (await client.v2.pty.list({ location }, { throwOnError: true })).data!
    expectMatchesReference('GET', '/api/pty', 200, listed)
    expect(listed.data.map((pty) => pty.id)).to.deep.equal([id])
    const v1 = (await server.app.inject({ url: `/pty?directory=${encodeURIComponent(repo)}` })).json()
    expect(v1.map((pty: { id: string }) => pty.id)).to.deep.equal([id])

    const got = (await client.v2.pty.get({ ptyID: id, location }, { throwOnError: true })).data!
    expectMatchesReference('GET', '/api/pty/{ptyID}', 200, got)
    const renamed = (
      await client.v2.pty.update(
        { ptyID: id, location, title: 'tests', size: { rows: 30, cols: 100 } },
        { throwOnError: true },
      )
    ).data!
    expectMatchesReference('PUT', '/api/pty/{ptyID}', 200, renamed)
    expect(renamed.data.title).to.equal('tests')

    const removed = await client.v2.pty.remove({ ptyID: id, location })
    expect(removed.response.status).to.equal(204)
    const gone = await server.app.inject({ url: `/api/pty/${id}?location[directory]=${encodeURIComponent(repo)}` })
    expect(gone.statusCode).to.equal(404)
    expect(gone.json()).to.deep.equal({ _tag: 'PtyNotFoundError', message: `PTY session not found: ${id}`, ptyID: id })
    expectMatchesReference('GET', '/api/pty/{ptyID}', 404, gone.json())
  })

  it("connects through the SDK's ticket and URL on a password-protected server and echoes input", async () => {
    const repo = realpathSync(gitRepo())
    const server = await startServer({ cwd: repo, only: ['core', 'pty'], password: 'sesame' })
    const base = await listen(server)
    const authorization = `Basic ${Buffer.from('opencode:sesame').toString('base64')}`
    const client = createOpencodeClient({ baseUrl: base, headers: { authorization } })
    const pty = (
      await client.v2.pty.create(
        { location: { directory: repo }, command: 'bash', args: ['--noprofile', '--norc'] },
        { throwOnError: true },
      )
    ).data!.data

    const location = { directory: repo }
    const refused = await client.v2.pty.connectToken({ ptyID: pty.id, location })
    expect(refused.response.status).to.equal(403)
    expect(refused.error).to.deep.include({ _tag: 'ForbiddenError' })
    expectMatchesReference('POST', '/api/pty/{ptyID}/connect-token', 403, refused.error)
    const unknown = await client.v2.pty.connectToken(
      { ptyID: 'pty_nope', location },
      { headers: { 'x-opencode-ticket': '1' } },
    )
    expect(unknown.response.status).to.equal(404)
    expect(unknown.error).to.deep.equal({
      _tag: 'PtyNotFoundError',
      message: 'PTY session not found: pty_nope',
      ptyID: 'pty_nope',
    })
    expectMatchesReference('POST', '/api/pty/{ptyID}/connect-token', 404, unknown.error)

    const token = (
      await client.v2.pty.connectToken(
        { ptyID: pty.id, location },
        { headers: { 'x-opencode-ticket': '1' }, throwOnError: true },
      )
    ).data!
    expectMatchesReference('POST', '/api/pty/{ptyID}/connect-token', 200, token)
    expect(token.location.directory).to.equal(repo)
    expect(token.data.expires_in).to.equal(60)
    const { ticket } = token.data

    // The SDK's `connect` is a plain GET, which fetch cannot upgrade: the server answers it with a
    // tagged 400, and an unknown terminal with a 404 before any upgrade.
    const plain = await client.v2.pty.connect({ ptyID: pty.id, 'location[directory]': repo })
    expect(plain.response.status).to.equal(400)
    expect(plain.error).to.deep.include({ _tag: 'InvalidRequestError', message: 'Expected a WebSocket upgrade' })
    expectMatchesReference('GET', '/api/pty/{ptyID}/connect', 400, plain.error)
    const missing = await client.v2.pty.connect({ ptyID: 'pty_nope', 'location[directory]': repo })
    expect(missing.response.status).to.equal(404)
    expectMatchesReference('GET', '/api/pty/{ptyID}/connect', 404, missing.error)

    // The URL the SDK builds (ticket, location, cursor) is the one a WebSocket opens. It is taken
    // without sending the GET, which would use the ticket up.
    let built: URL | undefined
    const capture = async (input: string | URL | Request) => {
      built = new URL(input instanceof Request ? input.url : input)
      return new Response('true', { headers: { 'content-type': 'application/json' } })
    }
    await client.v2.pty.connect({ ptyID: pty.id, 'location[directory]': repo, cursor: '0', ticket }, { fetch: capture })
    expect(built!.pathname).to.equal(`/api/pty/${pty.id}/connect`)
    expect(Object.fromEntries(built!.searchParams)).to.deep.equal({ 'location[directory]': repo, cursor: '0', ticket })

    // No password on the socket: the ticket stands in for it.
    const terminal = await connect(base, pty.id, Object.fromEntries(built!.searchParams), {}, '/api')
    expect((await terminal.meta).cursor).to.be.a('number')
    terminal.send('echo v2-$((20+22))\n')
    await until(() => terminal.text().includes('v2-42'))
    terminal.socket.close()
    // The ticket is used up.
    const again = await connect(base, pty.id, Object.fromEntries(built!.searchParams), {}, '/api').catch(
      (error) => error,
    )
    expect(again.status).to.equal(401)
  })
})
