import { expect } from 'chai'
import { cleanup } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'
import { shellHarness, type ShellHarness } from './support.js'

const WITH_SESSIONS = ['core', 'agent', 'provider', 'session', 'shell']

async function createSession(h: ShellHarness): Promise<string> {
  const response = await h.server.app.inject({
    method: 'POST',
    url: '/session',
    headers: { 'x-opencode-directory': h.repo },
    payload: {},
  })
  expect(response.statusCode).to.equal(200)
  return response.json().id
}

async function putEnvironment(h: ShellHarness, sessionID: string, payload: unknown) {
  const response = await h.server.app.inject({
    method: 'PUT',
    url: `/api/session/${sessionID}/environment`,
    ...(payload === undefined ? {} : { payload: payload as object }),
  })
  return { status: response.statusCode, body: response.body ? response.json() : undefined }
}

/** What `env` prints in a command started for the session, as sorted lines. */
async function sessionEnv(h: ShellHarness, sessionID: string): Promise<string[]> {
  const instance = await h.server.kernel.instances.get(h.repo)
  const { shell, output } = await h.server.app.shells.run(instance, { command: 'env', sessionID })
  expect(shell.metadata).to.deep.equal({ sessionID })
  return output.output.trim().split('\n').sort()
}

describe('shell: PUT /api/session/{sessionID}/environment', () => {
  afterEach(cleanup)

  it("replaces the environment of the session's shell commands, and only of that session's", async () => {
    const h = await shellHarness(WITH_SESSIONS)
    const sessionID = await createSession(h)
    const other = await createSession(h)
    const put = await putEnvironment(h, sessionID, { variables: { FOO: 'bar', PATH: '/usr/bin:/bin' } })
    expect(put.status).to.equal(204)
    expect(h.server.app.shells.environment(sessionID)).to.deep.equal({ FOO: 'bar', PATH: '/usr/bin:/bin' })
    const lines = (await sessionEnv(h, sessionID)).filter((line) => !/^(PWD|SHLVL|_)=/.test(line))
    expect(lines).to.deep.equal(['FOO=bar', 'OPENCODE_TERMINAL=1', 'PATH=/usr/bin:/bin', 'TERM=xterm-256color'])
    const others = await sessionEnv(h, other)
    expect(others).to.not.include('FOO=bar')
    expect(others).to.include(`HOME=${process.env.HOME}`)

    // Set again: replaced whole, not merged.
    expect((await putEnvironment(h, sessionID, { variables: { ONLY: '1' } })).status).to.equal(204)
    expect(h.server.app.shells.environment(sessionID)).to.deep.equal({ ONLY: '1' })
  })

  it('answers a precise 400 for anything but a map of strings, and keeps the environment it had', async () => {
    const h = await shellHarness(WITH_SESSIONS)
    const sessionID = await createSession(h)
    await putEnvironment(h, sessionID, { variables: { KEEP: 'me' } })
    const bodies: [unknown, RegExp][] = [
      [{ variables: { FOO: 1 } }, /at \["variables"\]\["FOO"\]/],
      [{ variables: { FOO: null } }, /at \["variables"\]\["FOO"\]/],
      [{ variables: [] }, /at \["variables"\]/],
      [{}, /Missing key\n {2}at \["variables"\]/],
      [undefined, /./],
      [{ variables: { 'A=B': 'x' } }, /^Invalid variable name "A=B"/],
      [{ variables: { '': 'x' } }, /^Invalid variable name ""/],
      [{ variables: { NUL: 'a\u0000b' } }, /^Text must not contain NUL characters \(U\+0000\): variables\.NUL$/],
      [{ variables: { BIG: 'x'.repeat(200_000) } }, /^BIG is too long/],
    ]
    for (const [body, message] of bodies) {
      const answer = await putEnvironment(h, sessionID, body)
      expect(answer.status, JSON.stringify(body)?.slice(0, 60)).to.equal(400)
      expect(answer.body._tag).to.equal('InvalidRequestError')
      expect(answer.body.message).to.match(message)
      expectMatches21('PUT', '/api/session/{sessionID}/environment', 400, answer.body)
    }
    expect(h.server.app.shells.environment(sessionID)).to.deep.equal({ KEEP: 'me' })
  })

  it('answers 404 SessionNotFoundError for an unknown session and 400 for an id without the ses prefix', async () => {
    const h = await shellHarness(WITH_SESSIONS)
    const unknown = await putEnvironment(h, 'ses_nope', { variables: {} })
    expect(unknown.status).to.equal(404)
    expect(unknown.body).to.deep.equal({
      _tag: 'SessionNotFoundError',
      sessionID: 'ses_nope',
      message: 'Session not found: ses_nope',
    })
    expectMatches21('PUT', '/api/session/{sessionID}/environment', 404, unknown.body)
    const bad = await putEnvironment(h, 'nope', { variables: {} })
    expect(bad.status).to.equal(400)
    expect(bad.body).to.deep.include({ _tag: 'InvalidRequestError', kind: 'Params', field: 'sessionID' })
    expectMatches21('PUT', '/api/session/{sessionID}/environment', 400, bad.body)
    expect(h.server.app.shells.environment('ses_nope')).to.equal(undefined)
  })

  it('answers 404 when no session plugin runs', async () => {
    const h = await shellHarness()
    const answer = await putEnvironment(h, 'ses_any', { variables: {} })
    expect(answer.status).to.equal(404)
    expect(answer.body._tag).to.equal('SessionNotFoundError')
  })

  it('forgets the environment of a deleted session', async () => {
    const h = await shellHarness(WITH_SESSIONS)
    const sessionID = await createSession(h)
    await putEnvironment(h, sessionID, { variables: { FOO: 'bar' } })
    const deleted = await h.server.app.inject({
      method: 'DELETE',
      url: `/session/${sessionID}`,
      headers: { 'x-opencode-directory': h.repo },
    })
    expect(deleted.statusCode).to.equal(200)
    expect(h.server.app.shells.environment(sessionID)).to.equal(undefined)
  })
})
