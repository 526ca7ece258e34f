import { expect } from 'chai'
import { checkExposure } from '../../../kernel/http/server.js'
import { cleanup, startServer, type TestServer } from '../../support/helper.js'

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

    it('allows loopback origins and --cors origins, with CORS headers', async () => {
      for (const origin of ['http://localhost:3000', 'http://127.0.0.1:5173', 'https://app.example.com']) {
        const response = await server.app.inject({
          method: 'POST',
          url: '/notes',
          headers: { origin },
          payload: { text: origin },
        })
        expect(response.statusCode, origin).to.equal(200)
        expect(response.headers['access-control-allow-origin']).to.equal(origin)
      }
    })

    it('answers a CORS preflight for an allowed origin', async () => {
      const response = await server.app.inject({
        method: 'OPTIONS',
        url: '/notes',
        headers: {
          origin: 'http://localhost:3000',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      })
      expect(response.statusCode).to.equal(204)
      expect(response.headers['access-control-allow-origin']).to.equal('http://localhost:3000')
      expect(String(response.headers['access-control-allow-methods'])).to.include('PATCH')
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
      server = await startServer({ only: ['core'], pluginDirs: PLUGINS, env: { OPENCODE_SERVER_PASSWORD: 's3cret' } })
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

    it('protects the SSE streams and the OpenAPI document too', async () => {
      for (const url of ['/event', '/global/event', '/doc'])
        expect((await server.app.inject({ url })).statusCode, url).to.equal(401)
    })
  })

  it('honours OPENCODE_SERVER_USERNAME', async () => {
    const server = await startServer({
      only: ['core'],
      pluginDirs: PLUGINS,
      env: { OPENCODE_SERVER_PASSWORD: 'pw', OPENCODE_SERVER_USERNAME: 'alice' },
    })
    expect(
      (await server.app.inject({ url: '/global/health', headers: { authorization: basic('alice', 'pw') } })).statusCode,
    ).to.equal(200)
    expect(
      (await server.app.inject({ url: '/global/health', headers: { authorization: basic('opencode', 'pw') } }))
        .statusCode,
    ).to.equal(401)
  })

  it('refuses to serve a non-loopback hostname without a password unless --insecure', () => {
    expect(() => checkExposure('0.0.0.0', undefined, false)).to.throw(/without a password/)
    expect(() => checkExposure('0.0.0.0', 'pw', false)).to.not.throw()
    expect(() => checkExposure('0.0.0.0', undefined, true)).to.not.throw()
    expect(() => checkExposure('127.0.0.1', undefined, false)).to.not.throw()
  })
})
