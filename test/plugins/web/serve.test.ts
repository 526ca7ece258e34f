import { expect } from 'chai'
import { gunzipSync, brotliDecompressSync } from 'node:zlib'
import { cleanup, listen, startServer, type TestServer } from '../../support/helper.js'

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }

describe('plugin: web (serving the app)', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({ only: ['core', 'agent', 'provider', 'tools', 'session', 'share', 'web'] })
  })
  after(cleanup)

  const get = (url: string, headers: Record<string, string> = {}) => server.app.inject({ method: 'GET', url, headers })

  it('answers / with the app under a strict CSP and no caching of the page itself', async () => {
    const response = await get('/', HTML)
    expect(response.statusCode).to.equal(200)
    expect(response.headers['content-type']).to.match(/^text\/html/)
    const csp = String(response.headers['content-security-policy'])
    expect(csp).to.contain("default-src 'self'")
    expect(csp).to.contain("script-src 'self'")
    expect(csp).to.contain("connect-src 'self'")
    expect(csp).not.to.match(/script-src[^;]*unsafe-inline/)
    expect(response.headers['cache-control']).to.equal('no-cache')
    expect(response.body).to.match(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/)
    // Nothing from another origin, and no inline script.
    expect(response.body).not.to.match(/(src|href)="(https?:)?\/\//)
    expect(response.body.match(/<script\b[^>]*>[^<]+<\/script>/)).to.equal(null)
  })

  it('serves hashed assets for a year, brotli or gzip when accepted, identity otherwise', async () => {
    const page = await get('/', HTML)
    const script = /src="(\/assets\/index-[\w-]+\.js)"/.exec(page.body)![1]!
    const plain = await get(script)
    expect(plain.statusCode).to.equal(200)
    expect(plain.headers['content-type']).to.match(/^text\/javascript/)
    expect(plain.headers['cache-control']).to.equal('public, max-age=31536000, immutable')
    expect(plain.headers['content-encoding']).to.equal(undefined)
    const br = await get(script, { 'accept-encoding': 'gzip, deflate, br' })
    expect(br.headers['content-encoding']).to.equal('br')
    expect(br.headers.vary).to.contain('accept-encoding')
    expect(brotliDecompressSync(br.rawPayload).equals(plain.rawPayload)).to.equal(true)
    const gzip = await get(script, { 'accept-encoding': 'gzip, br;q=0' })
    expect(gzip.headers['content-encoding']).to.equal('gzip')
    expect(gunzipSync(gzip.rawPayload).equals(plain.rawPayload)).to.equal(true)
    expect((await get('/assets/nope-123.js')).statusCode).to.equal(404)
    expect((await get('/assets/..%2Fpackage.json')).statusCode).to.equal(400)
  })

  it('gives browser navigations to client-side routes the app, and keeps API 404s as JSON', async () => {
    const page = await get('/s/ses_123?dir=%2Ftmp', HTML)
    expect(page.statusCode).to.equal(200)
    expect(page.headers['content-type']).to.match(/^text\/html/)
    for (const [url, headers] of [
      ['/no/such/route', {}],
      ['/session/ses_x/nothing-here', HTML],
      ['/global/nothing', HTML],
    ] as const) {
      const response = await get(url, headers)
      expect(response.statusCode, url).to.equal(404)
      expect(response.json(), url).to.deep.equal({
        name: 'NotFoundError',
        data: { message: `Route not found: GET ${url}` },
      })
    }
    const post = await server.app.inject({ method: 'POST', url: '/s/whatever', headers: HTML })
    expect(post.statusCode).to.equal(404)
    expect(post.json().name).to.equal('NotFoundError')
  })

  it('keeps /doc, /event and /share/:id as they were, and lists its own routes in /doc', async () => {
    const doc = await get('/doc', HTML)
    expect(doc.headers['content-type']).to.match(/^application\/json/)
    const paths = doc.json().paths
    expect(paths['/'].get.operationId).to.equal('web.app')
    expect(paths['/web/login'].post.operationId).to.equal('web.login')
    expect(paths['/web/logout'].post.operationId).to.equal('web.logout')
    expect(Object.keys(paths).some((path) => path.includes('*'))).to.equal(false)
    const share = await get('/share/unknown', HTML)
    expect(share.statusCode).to.equal(404)
    expect(share.json().name).to.equal('NotFoundError')
  })
})

describe('plugin: web (login cookie)', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({ only: ['core', 'web'], password: 'secret-pass' })
  })
  after(cleanup)

  it('serves the app shell without credentials but nothing behind it', async () => {
    expect((await server.app.inject({ url: '/', headers: HTML })).statusCode).to.equal(200)
    const health = await server.app.inject({ url: '/global/health' })
    expect(health.statusCode).to.equal(401)
    expect(health.headers['www-authenticate']).to.match(/^Basic/)
    // The app's own fetches get no Basic challenge, so the browser shows no native dialog.
    const fromScript = await server.app.inject({
      url: '/global/health',
      headers: { 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin' },
    })
    expect(fromScript.statusCode).to.equal(401)
    expect(fromScript.headers['www-authenticate']).to.equal(undefined)
    // Node's fetch sends `sec-fetch-mode: cors` too, but no `sec-fetch-site`: it is challenged.
    const fromNode = await fetch(`${await listen(server)}/global/health`)
    expect(fromNode.status).to.equal(401)
    expect(fromNode.headers.get('www-authenticate')).to.match(/^Basic/)
    // An unknown API path still needs credentials first.
    expect((await server.app.inject({ url: '/no/such/route' })).statusCode).to.equal(401)
  })

  it('sets an HttpOnly SameSite=Strict cookie on login that the API accepts, and clears it on logout', async () => {
    const wrong = await server.app.inject({
      method: 'POST',
      url: '/web/login',
      headers: { authorization: 'Bearer nope' },
    })
    expect(wrong.statusCode).to.equal(401)
    expect(wrong.headers['set-cookie']).to.equal(undefined)

    const login = await server.app.inject({
      method: 'POST',
      url: '/web/login',
      headers: { authorization: 'Bearer secret-pass' },
    })
    expect(login.statusCode).to.equal(200)
    const setCookie = String(login.headers['set-cookie'])
    expect(setCookie).to.match(/^opencode_session=\d+\.[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/)
    const cookie = setCookie.split(';')[0]!
    expect((await server.app.inject({ url: '/global/health', headers: { cookie } })).statusCode).to.equal(200)
    const tampered = cookie.slice(0, -2) + (cookie.endsWith('AA') ? 'BB' : 'AA')
    expect((await server.app.inject({ url: '/global/health', headers: { cookie: tampered } })).statusCode).to.equal(401)

    const logout = await server.app.inject({ method: 'POST', url: '/web/logout' })
    expect(logout.statusCode).to.equal(200)
    expect(String(logout.headers['set-cookie'])).to.match(/^opencode_session=; .*Max-Age=0/)
    // Basic keeps working for other clients.
    const basic = Buffer.from('opencode:secret-pass').toString('base64')
    expect(
      (await server.app.inject({ url: '/global/health', headers: { authorization: `Basic ${basic}` } })).statusCode,
    ).to.equal(200)
  })

  it('refuses a login from a foreign origin', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/web/login',
      headers: { authorization: 'Bearer secret-pass', origin: 'https://evil.example' },
    })
    expect(response.statusCode).to.equal(403)
  })
})
