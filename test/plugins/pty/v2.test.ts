import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { realpathSync } from 'node:fs'
import { cleanup, gitRepo, listen, startServer } from '../../helper.js'
import { expectMatchesReference } from '../../openapi.js'
import { until } from '../session/setup.js'
import { connect } from './socket.js'

describe('pty: v2 routes', () => {
  after(cleanup)

  it('creates, lists, gets, renames and removes the same terminals as /pty', async () => {
    const repo = realpathSync(gitRepo())
    const server = await startServer({ cwd: repo, only: ['core', 'pty'] })
    const client = createOpencodeClient({ baseUrl: await listen(server) })
    const location = { directory: repo }

    const created = (await client.v2.pty.create({ location, command: 'bash', args: ['--noprofile', '--norc'], title: 'build' }, { throwOnError: true })).data!
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
    const renamed = (await client.v2.pty.update({ ptyID: id, location, title: 'tests', size: { rows: 30, cols: 100 } }, { throwOnError: true })).data!
    expectMatchesReference('PUT', '/api/pty/{ptyID}', 200, renamed)
    expect(renamed.data.title).to.equal('tests')

    const removed = await client.v2.pty.remove({ ptyID: id, location })
    expect(removed.response.status).to.equal(204)
    const gone = await server.app.inject({ url: `/api/pty/${id}?location[directory]=${encodeURIComponent(repo)}` })
    expect(gone.statusCode).to.equal(404)
    expect(gone.json()).to.deep.equal({ _tag: 'PtyNotFoundError', message: `PTY session not found: ${id}`, ptyID: id })
    expectMatchesReference('GET', '/api/pty/{ptyID}', 404, gone.json())
  })

  it('connects with a one-time ticket on a password-protected server and echoes input', async () => {
    const repo = realpathSync(gitRepo())
    const server = await startServer({ cwd: repo, only: ['core', 'pty'], password: 'sesame' })
    const base = await listen(server)
    const authorization = `Basic ${Buffer.from('opencode:sesame').toString('base64')}`
    const client = createOpencodeClient({ baseUrl: base, headers: { authorization } })
    const pty = (await client.v2.pty.create({ location: { directory: repo }, command: 'bash', args: ['--noprofile', '--norc'] }, { throwOnError: true })).data!.data

    const refused = await server.app.inject({ method: 'POST', url: `/api/pty/${pty.id}/connect-token`, headers: { authorization } })
    expect(refused.statusCode).to.equal(403)
    expect(refused.json()._tag).to.equal('ForbiddenError')
    expectMatchesReference('POST', '/api/pty/{ptyID}/connect-token', 403, refused.json())

    const token = await server.app.inject({ method: 'POST', url: `/api/pty/${pty.id}/connect-token`, headers: { authorization, 'x-opencode-ticket': '1' } })
    expectMatchesReference('POST', '/api/pty/{ptyID}/connect-token', 200, token.json())
    const { ticket } = token.json().data

    const terminal = await connect(base, pty.id, { ticket }, {}, '/api')
    terminal.send('echo v2-$((20+22))\n')
    await until(() => terminal.text().includes('v2-42'))
    terminal.socket.close()
    // The ticket is used up.
    const again = await connect(base, pty.id, { ticket }, {}, '/api').catch((error) => error)
    expect(again.status).to.equal(401)
  })
})
