import { expect } from 'chai'
import { cleanup, listen, startServer, type TestServer } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

const basic = (password: string, user = 'opencode') => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64')

describe('kernel: pairing routes (OpenCode 2.1)', () => {
  let server: TestServer
  let base: string
  let port: string
  before(async () => {
    server = await startServer({ only: ['core'], password: 'sesame' })
    base = await listen(server)
    port = new URL(base).port
  })
  after(cleanup)

  const pair = async (): Promise<string> => {
    const response = await fetch(`${base}/api/pair`, { method: 'POST', headers: { authorization: basic('sesame') } })
    expect(response.status).to.equal(200)
    return ((await response.json()) as { code: string }).code
  }
  const connect = (code: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/auth/connect/${code}`, { headers, redirect: 'manual' })

  it('POST /api/pair needs the password and answers a code for 300 s', async () => {
    const refused = await fetch(`${base}/api/pair`, { method: 'POST' })
    expect(refused.status).to.equal(401)
    expectMatches21('POST', '/api/pair', 401, await refused.json())

    const response = await fetch(`${base}/api/pair`, {
      method: 'POST',
      headers: { authorization: basic('sesame'), 'content-type': 'application/json' },
      body: '{}',
    })
    const body = (await response.json()) as { code: string; expires_in: number }
    expect(body).to.have.keys('code', 'expires_in')
    expect(body.expires_in).to.equal(300)
    expectMatches21('POST', '/api/pair', 200, body)
  })

  it('redeems a code once, for a JSON client, as a token that works wherever the password does', async () => {
    const response = await connect(await pair(), { accept: 'application/json' })
    expect(response.status).to.equal(200)
    const body = (await response.json()) as { token: string }
    expectMatches21('GET', '/auth/connect/{code}', 200, body)
    expect(body.token).to.match(/^\d+\.[A-Za-z0-9_-]{43}$/)
    const { token } = body

    const asPassword = await fetch(`${base}/api/info`, { headers: { authorization: basic(token) } })
    expect(asPassword.status).to.equal(200)
    const onV1 = await fetch(`${base}/global/health`, { headers: { authorization: basic(token) } })
    expect(onV1.status).to.equal(200)
    const inQuery = await fetch(`${base}/api/info?auth_token=${Buffer.from(`opencode:${token}`).toString('base64')}`)
    expect(inQuery.status).to.equal(200)
    const otherUser = await fetch(`${base}/api/info`, { headers: { authorization: basic(token, 'root') } })
    expect(otherUser.status).to.equal(401)

    // A client sending no Accept (or */*) gets JSON too.
    const plain = await connect(await pair())
    expect(plain.status).to.equal(200)
    expect(await plain.json()).to.have.keys('token')
  })

  it('answers a used, unknown or expired code with 401 "Pairing link expired or already used"', async () => {
    const code = await pair()
    expect((await connect(code, { accept: 'application/json' })).status).to.equal(200)
    for (const attempt of [code, 'unknown-code', '%00', 'a'.repeat(150)]) {
      const again = await connect(attempt, { accept: 'application/json' })
      expect(again.status, attempt).to.equal(401)
      const body = await again.json()
      expect(body, attempt).to.deep.equal({
        _tag: 'UnauthorizedError',
        message: 'Pairing link expired or already used',
      })
      expectMatches21('GET', '/auth/connect/{code}', 401, body)
    }
    const tooLong = await connect('a'.repeat(300), { accept: 'application/json' })
    expect(tooLong.status).to.equal(400)
  })

  it('gives a browser the session cookie and the web app; the cookie authenticates its own pages only', async () => {
    const code = await pair()
    const response = await connect(code, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' })
    expect(response.status).to.equal(302)
    expect(response.headers.get('location')).to.equal('/')
    const setCookie = response.headers.get('set-cookie') ?? ''
    expect(setCookie).to.match(
      new RegExp(`^opencode_session_${port}=\\d+\\.[\\w-]{43}; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax$`),
    )
    const cookie = setCookie.split(';')[0]!

    const info = (headers: Record<string, string>) => fetch(`${base}/api/info`, { headers })
    expect((await info({ cookie })).status).to.equal(200)
    expect((await info({ cookie, origin: base })).status).to.equal(200)
    expect((await info({ cookie: cookie.replace(`_${port}=`, '_1=') })).status).to.equal(401)
    expect((await info({ cookie, origin: 'https://app.opencode.ai' })).status).to.equal(401)
    expect((await info({ cookie: cookie.slice(0, -1) + (cookie.endsWith('A') ? 'B' : 'A') })).status).to.equal(401)

    const reused = await connect(code, { accept: 'text/html' })
    expect(reused.status).to.equal(401)
    expect(reused.headers.get('content-type')).to.match(/^text\/plain/)
    expect(await reused.text()).to.match(/expired or was already used/)
  })

  it('accepts a token after a restart with the same password, and no longer once the password changed', async () => {
    const token = ((await (await connect(await pair(), { accept: 'application/json' })).json()) as { token: string })
      .token
    const restarted = await startServer({ only: ['core'], password: 'sesame' })
    const same = await restarted.app.inject({ url: '/api/info', headers: { authorization: basic(token) } })
    expect(same.statusCode).to.equal(200)
    const changed = await startServer({ only: ['core'], password: 'other' })
    const refused = await changed.app.inject({ url: '/api/info', headers: { authorization: basic(token) } })
    expect(refused.statusCode).to.equal(401)
  })

  it('counts failed redemptions against the address like wrong passwords', async () => {
    const throttled = await startServer({
      only: ['core'],
      password: 'sesame',
      authThrottle: { freeFailures: 1, baseDelayMs: 1, maxDelayMs: 1, blockAfter: 3, blockMs: 60_000 },
    })
    const statuses: number[] = []
    for (let i = 0; i < 4; i++)
      statuses.push((await throttled.app.inject({ url: `/auth/connect/guess-${i}` })).statusCode)
    expect(statuses).to.deep.equal([401, 401, 401, 429])
    const blocked = await throttled.app.inject({ url: '/auth/connect/guess' })
    expect(blocked.statusCode).to.equal(429)
    expect(Number(blocked.headers['retry-after'])).to.be.greaterThan(0)
  })

  it('pairs without a password too (loopback): the code still redeems for a working token and cookie', async () => {
    const open = await startServer({ only: ['core'] })
    const issued = await open.app.inject({ method: 'POST', url: '/api/pair' })
    expect(issued.statusCode).to.equal(200)
    const redeemed = await open.app.inject({
      url: `/auth/connect/${issued.json().code}`,
      headers: { host: 'localhost:4096', accept: 'text/html' },
    })
    expect(redeemed.statusCode).to.equal(302)
    expect(String(redeemed.headers['set-cookie'])).to.match(/^opencode_session_4096=\d+\./)
    // A foreign Host is still refused before any code is looked at (DNS rebinding).
    const issuedAgain = await open.app.inject({ method: 'POST', url: '/api/pair' })
    const rebound = await open.app.inject({
      url: `/auth/connect/${issuedAgain.json().code}`,
      headers: { host: 'evil.example:4096' },
    })
    expect(rebound.statusCode).to.equal(403)
  })
})
