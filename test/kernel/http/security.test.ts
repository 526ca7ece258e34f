import { expect } from 'chai'
import { checkExposure } from '../../../kernel/http/server.js'
import { cleanup, startServer, type TestServer } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

const PLUGINS = [
  new URL('../../../plugins/', import.meta.url).pathname,
  new URL('../../fixtures/builtin/', import.meta.url).pathname,
]
const basic = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64')

describe('kernel: security', () => {
  after(cleanup)

  describe('without a password', () => {
    let server: TestServer
    before(async () => {
      server = await startServer({ only: ['core', 'notes'], pluginDirs: PLUGINS, cors: ['https://app.example.com'] })
    })

    it('serves loopback hosts without credentials', async () => {
      for (const host of ['localhost:4096', '127.0.0.1:4096', '[::1]:4096', 'localhost']) {
        const response = await server.app.inject({ url: '/global/health', headers: { host } })
        expect(response.statusCode, host).to.equal(200)
      }
    })

    it('answers 403 to a forged Host (DNS rebinding)', async () => {
      const response = await server.app.inject({ url: '/global/health', headers: { host: 'evil.example.com' } })
      expect(response.statusCode).to.equal(403)
      expect(response.json().name).to.equal('ForbiddenError')
    })

    it('refuses a state-changing request from a foreign Origin and changes nothing', async () => {
      const response = await server.app.inject({
        method: 'POST',
        url: '/notes',
        headers: { origin: 'https://evil.example.com' },
        payload: { text: 'should not exist' },
      })
      expect(response.statusCode).to.equal(403)
      expect(response.headers['access-control-allow-origin']).to.equal(undefined)
      expect((await server.app.inject({ url: '/notes' })).json()).to.deep.equal([])
    })

    it("allows this server's own loopback origins and --cors origins, with CORS headers", async () => {
      for (const origin of ['http://localhost:4096', 'http://127.0.0.1:4096', 'https://app.example.com']) {
        const response = await server.app.inject({
          method: 'POST',
          url: '/notes',
          headers: { host: 'localhost:4096', origin },
          payload: { text: origin },
        })
        expect(response.statusCode, origin).to.equal(200)
        expect(response.headers['access-control-allow-origin']).to.equal(origin)
      }
    })

    it('refuses loopback pages on other ports, https://localhost and, without a password, remote origins', async () => {
      const before = (await server.app.inject({ url: '/notes' })).json()
      const origins = [
        'http://localhost:3000',
        'http://127.0.0.1:5173',
        'https://localhost:4096',
        'http://localhost',
        'https://opencode.ai',
        'https://app.opencode.ai',
        'tauri://localhost',
        'null',
      ]
      for (const origin of origins) {
        const response = await server.app.inject({
          method: 'POST',
          url: '/notes',
          headers: { host: 'localhost:4096', origin },
          payload: { text: origin },
        })
        expect(response.statusCode, origin).to.equal(403)
        expect(response.headers['access-control-allow-origin'], origin).to.equal(undefined)
        expect(response.headers.vary, origin).to.equal('Origin')
      }
      expect((await server.app.inject({ url: '/notes' })).json()).to.deep.equal(before)
    })

    it('answers a CORS preflight as OpenCode 2.1 does', async () => {
      const response = await server.app.inject({
        method: 'OPTIONS',
        url: '/notes',
        headers: {
          host: 'localhost:4096',
          origin: 'http://localhost:4096',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, x-opencode-directory',
        },
      })
      expect(response.statusCode).to.equal(204)
      expect(response.headers).to.include({
        'access-control-allow-origin': 'http://localhost:4096',
        'access-control-allow-methods': 'GET, HEAD, PUT, PATCH, POST, DELETE',
        'access-control-max-age': '86400',
        'access-control-allow-headers': 'content-type, x-opencode-directory',
      })
      expect(response.body).to.equal('')
    })

    it('refuses a WebSocket upgrade from a foreign Origin', async () => {
      const response = await server.app.inject({
        url: '/global/health',
        headers: { origin: 'https://evil.example.com', upgrade: 'websocket', connection: 'Upgrade' },
      })
      expect(response.statusCode).to.equal(403)
    })
  })

  describe('with a password', () => {
    let server: TestServer
    before(async () => {
      server = await startServer({
        only: ['core', 'notes'],
        pluginDirs: PLUGINS,
        env: { OPENCODE_SERVER_PASSWORD: 's3cret' },
      })
    })

    it('answers 401 with WWW-Authenticate: Basic without credentials', async () => {
      const response = await server.app.inject({ url: '/global/health' })
      expect(response.statusCode).to.equal(401)
      expect(response.headers['www-authenticate']).to.match(/^Basic /)
      expect(response.json().name).to.equal('UnauthorizedError')
    })

    it('answers 401 to a wrong password or a wrong user', async () => {
      for (const authorization of [basic('opencode', 'nope'), basic('someone', 's3cret'), 'Bearer nope', 'Basic !!!']) {
        const response = await server.app.inject({ url: '/global/health', headers: { authorization } })
        expect(response.statusCode, authorization).to.equal(401)
      }
    })

    it('accepts Basic with the default user, a Bearer token and the auth_token query', async () => {
      const token = Buffer.from('opencode:s3cret').toString('base64')
      const attempts = [
        { url: '/global/health', headers: { authorization: basic('opencode', 's3cret') } },
        { url: '/global/health', headers: { authorization: 'Bearer s3cret' } },
        { url: `/global/health?auth_token=${token}`, headers: {} },
      ]
      for (const attempt of attempts) expect((await server.app.inject(attempt)).statusCode).to.equal(200)
    })

    it('protects the SSE streams and the OpenAPI documents too', async () => {
      for (const url of ['/event', '/global/event', '/doc', '/openapi.json', '/api/event'])
        expect((await server.app.inject({ url })).statusCode, url).to.equal(401)
    })

    it("answers OpenCode 2.1's tagged 401 and challenge on /api/*, /api/event and /openapi.json", async () => {
      for (const url of ['/api/info', '/api/event', '/openapi.json', '/api/no-such-route']) {
        const response = await server.app.inject({ url })
        expect(response.statusCode, url).to.equal(401)
        expect(response.json(), url).to.deep.equal({ _tag: 'UnauthorizedError', message: 'Authentication required' })
        expect(response.headers['www-authenticate'], url).to.equal('Basic realm="Secure Area"')
      }
      expectMatches21('GET', '/api/info', 401, (await server.app.inject({ url: '/api/info' })).json())
      // The web app's own script still gets no challenge (no native login dialog).
      const fromScript = await server.app.inject({
        url: '/api/info',
        headers: { 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin' },
      })
      expect(fromScript.statusCode).to.equal(401)
      expect(fromScript.headers['www-authenticate']).to.equal(undefined)
    })

    it('refuses what OpenCode 2.1 refuses: a raw password in auth_token, an empty or wrong user', async () => {
      for (const url of ['/api/info?auth_token=s3cret', `/api/info?auth_token=${btoa(':s3cret')}`])
        expect((await server.app.inject({ url })).statusCode, url).to.equal(401)
      const wrongUser = await server.app.inject({
        url: '/api/info',
        headers: { authorization: basic('root', 's3cret') },
      })
      expect(wrongUser.statusCode).to.equal(401)
      // Bearer stays accepted: OpenCode 1.x clients and the web app's login send it.
      const bearer = await server.app.inject({ url: '/api/info', headers: { authorization: 'Bearer s3cret' } })
      expect(bearer.statusCode).to.equal(200)
    })

    it("trusts OpenCode's remote and desktop origins and the page's own (LAN) origin behind the password", async () => {
      const origins = ['https://opencode.ai', 'https://app.opencode.ai', 'tauri://localhost', 'http://192.168.1.7:4096']
      for (const origin of origins) {
        const response = await server.app.inject({
          method: 'POST',
          url: '/notes',
          headers: { host: '192.168.1.7:4096', origin, authorization: basic('opencode', 's3cret') },
          payload: { text: origin },
        })
        expect(response.statusCode, origin).to.equal(200)
        expect(response.headers['access-control-allow-origin'], origin).to.equal(origin)
      }
      const foreign = await server.app.inject({
        method: 'POST',
        url: '/notes',
        headers: {
          host: '192.168.1.7:4096',
          origin: 'https://evil.opencode.ai.example',
          authorization: basic('opencode', 's3cret'),
        },
        payload: { text: 'no' },
      })
      expect(foreign.statusCode).to.equal(403)
    })
  })

  it('with --insecure and no password, does not trust a page that is same-origin with a foreign Host (DNS rebinding)', async () => {
    const server = await startServer({ only: ['core', 'notes'], pluginDirs: PLUGINS, insecure: true })
    const rebound = await server.app.inject({
      method: 'POST',
      url: '/notes',
      headers: { host: 'rebound.example:4096', origin: 'http://rebound.example:4096' },
      payload: { text: 'no' },
    })
    expect(rebound.statusCode).to.equal(403)
    const own = await server.app.inject({
      method: 'POST',
      url: '/notes',
      headers: { host: '127.0.0.1:4096', origin: 'http://127.0.0.1:4096' },
      payload: { text: 'yes' },
    })
    expect(own.statusCode).to.equal(200)
  })

  it("accepts OPENCODE_SERVER_USERNAME's user, and opencode (the user OpenCode 2.x always sends)", async () => {
    const server = await startServer({
      only: ['core'],
      pluginDirs: PLUGINS,
      env: { OPENCODE_SERVER_PASSWORD: 'pw', OPENCODE_SERVER_USERNAME: 'alice' },
    })
    for (const [user, status] of [
      ['alice', 200],
      ['opencode', 200],
      ['bob', 401],
    ] as const) {
      const response = await server.app.inject({ url: '/global/health', headers: { authorization: basic(user, 'pw') } })
      expect(response.statusCode, user).to.equal(status)
    }
  })

  it('refuses to serve a non-loopback hostname without a password unless --insecure', () => {
    expect(() => checkExposure('0.0.0.0', undefined, false)).to.throw(/without a password/)
    expect(() => checkExposure('0.0.0.0', 'pw', false)).to.not.throw()
    expect(() => checkExposure('0.0.0.0', undefined, true)).to.not.throw()
    expect(() => checkExposure('127.0.0.1', undefined, false)).to.not.throw()
  })
})
