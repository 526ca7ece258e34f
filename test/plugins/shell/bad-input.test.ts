import { expect } from 'chai'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'
import { shellHarness } from './support.js'

describe('shell: bad input and unknown ids', () => {
  afterEach(cleanup)

  it('answers a precise 400 for every bad body, and starts nothing', async () => {
    const { server, call } = await shellHarness()
    const bodies: [unknown, RegExp][] = [
      [{}, /Missing key\n {2}at \["command"\]/],
      [{ command: 42 }, /at \["command"\]/],
      [{ command: 'true', timeout: -1 }, /at \["timeout"\]/],
      [{ command: 'true', timeout: 1.5 }, /at \["timeout"\]/],
      [{ command: 'true', timeout: 'soon' }, /at \["timeout"\]/],
      [{ command: 'true', metadata: [] }, /at \["metadata"\]/],
      [{ command: 'true', cwd: 7 }, /at \["cwd"\]/],
      // NUL is refused for every body before any route sees it (PostgreSQL cannot store it).
      [{ command: 'echo a\u0000b' }, /^Text must not contain NUL characters \(U\+0000\): command$/],
      [{ command: 'x'.repeat(200_000) }, /^The command is too long: 200000 bytes/],
      [{ command: 'pwd', cwd: 'src\u0000' }, /^Text must not contain NUL characters \(U\+0000\): cwd$/],
    ]
    for (const [body, message] of bodies) {
      const answer = await call('POST', '/api/shell', body)
      expect(answer.status, JSON.stringify(body).slice(0, 80)).to.equal(400)
      expect(answer.body._tag).to.equal('InvalidRequestError')
      expect(answer.body.message).to.match(message)
      expectMatches21('POST', '/api/shell', 400, answer.body)
    }
    const noBody = await server.app.inject({ method: 'POST', url: '/api/shell' })
    expect(noBody.statusCode).to.equal(400)
    expectMatches21('POST', '/api/shell', 400, noBody.json())
    const notJson = await server.app.inject({
      method: 'POST',
      url: '/api/shell',
      headers: { 'content-type': 'application/json' },
      payload: '{"command":',
    })
    expect(notJson.statusCode).to.equal(400)
    expectMatches21('POST', '/api/shell', 400, notJson.json())
    expect((await call('GET', '/api/shell')).body.data).to.deep.equal([])
    expect(readdirSync(server.dataDir)).to.not.include('shell')
  })

  it('answers 404 ShellNotFoundError for an unknown id, 400 for an id without the sh_ prefix, 204 on removing either unknown', async () => {
    const { call } = await shellHarness()
    for (const path of ['/api/shell/sh_nope', '/api/shell/sh_nope/output']) {
      const answer = await call('GET', path)
      expect(answer.status, path).to.equal(404)
      expect(answer.body).to.deep.equal({
        _tag: 'ShellNotFoundError',
        id: 'sh_nope',
        message: 'Shell command not found: sh_nope',
      })
      expectMatches21('GET', path.replace('sh_nope', '{id}'), 404, answer.body)
    }
    for (const [method, path] of [
      ['GET', '/api/shell/nope'],
      ['GET', '/api/shell/nope/output'],
      ['DELETE', '/api/shell/nope'],
    ] as const) {
      const answer = await call(method, path)
      expect(answer.status, `${method} ${path}`).to.equal(400)
      expect(answer.body).to.deep.include({ _tag: 'InvalidRequestError', kind: 'Params', field: 'id' })
      expectMatches21(method, path.replace('nope', '{id}'), 400, answer.body)
    }
    expect((await call('DELETE', '/api/shell/sh_nope')).status).to.equal(204)
  })

  it('answers a precise 400 for a bad cursor or limit', async () => {
    const { call, ended } = await shellHarness()
    const shell = (await call('POST', '/api/shell', { command: 'echo hello' })).body.data
    await ended(shell.id)
    for (const query of [
      'cursor=-1',
      'cursor=1.5',
      'cursor=abc',
      'limit=0',
      'limit=-5',
      'limit=2.5',
      'cursor=Infinity',
    ]) {
      const answer = await call('GET', `/api/shell/${shell.id}/output?${query}`)
      expect(answer.status, query).to.equal(400)
      expect(answer.body).to.deep.include({ _tag: 'InvalidRequestError', kind: 'Query' })
      expect(answer.body.field, query).to.equal(query.split('=')[0])
      expectMatches21('GET', '/api/shell/{id}/output', 400, answer.body)
    }
  })

  it("answers OpenCode 2.1's 404 LocationNotFoundError for a location that is relative or missing", async () => {
    const { server, call } = await shellHarness()
    for (const directory of ['relative/dir', join(server.dataDir, 'missing')]) {
      const answer = await call('POST', '/api/shell', { command: 'touch made' }, directory)
      expect(answer.status, directory).to.equal(404)
      expect(answer.body).to.deep.include({ _tag: 'LocationNotFoundError', location: { directory } })
    }
  })
})
