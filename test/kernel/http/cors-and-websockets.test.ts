import { expect } from 'chai'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { cleanup, listen, startServer } from '../../support/helper.js'

interface RawAnswer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** A request with exactly these headers (fetch would add its own). */
function raw(url: string, method: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

const PREFLIGHT = { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-foo' }

describe('kernel: CORS (OpenCode 2.1)', () => {
  let base: string
  let own: string
  before(async () => {
    const server = await startServer({ only: ['core', 'web'], cors: ['https://app.example.com'] })
    base = await listen(server)
    own = `http://localhost:${new URL(base).port}`
  })
  after(cleanup)

  it("answers a preflight from this server's own origin with everything a browser needs", async () => {
    const answer = await raw(`${base}/api/info`, 'OPTIONS', { origin: own, ...PREFLIGHT })
    expect(answer.status).to.equal(204)
    expect(answer.body).to.equal('')
    expect(answer.headers).to.include({
      'access-control-allow-origin': own,
      'access-control-allow-methods': 'GET, HEAD, PUT, PATCH, POST, DELETE',
      'access-control-max-age': '86400',
      'access-control-allow-headers': 'content-type, x-foo',
      vary: 'Origin, Access-Control-Request-Headers',
    })
  })

  it('answers a preflight from a refused origin, or with no origin, 204 without allowing it', async () => {
    const cases: Record<string, string>[] = [
      { origin: 'http://localhost:1', ...PREFLIGHT },
      { origin: 'https://evil.example' },
      {},
    ]
    for (const headers of cases) {
      const answer = await raw(`${base}/api/info`, 'OPTIONS', headers)
      expect(answer.status, JSON.stringify(headers)).to.equal(204)
      expect(answer.headers['access-control-allow-origin']).to.equal(undefined)
      expect(answer.headers['access-control-allow-methods']).to.equal('GET, HEAD, PUT, PATCH, POST, DELETE')
      expect(String(answer.headers.vary)).to.match(/^Origin/)
    }
  })

  it("runs a refused origin's read without the CORS header, and an allowed one's with it", async () => {
    const refused = await raw(`${base}/api/info`, 'GET', { origin: 'https://evil.example' })
    expect(refused.status).to.equal(200)
    expect(refused.headers['access-control-allow-origin']).to.equal(undefined)
    expect(refused.headers.vary).to.equal('Origin')
    for (const origin of [own, 'https://app.example.com']) {
      const allowed = await raw(`${base}/api/info`, 'GET', { origin })
      expect(allowed.headers['access-control-allow-origin'], origin).to.equal(origin)
    }
  })

  it('sends Vary: Origin on every answer: errors, and files that vary on their encoding', async () => {
    const missing = await raw(`${base}/api/no-such-route`, 'GET', { origin: own })
    expect(missing.status).to.equal(404)
    expect(missing.headers.vary).to.equal('Origin')
    expect(missing.headers['access-control-allow-origin']).to.equal(own)
    const page = await raw(`${base}/`, 'GET', { accept: 'text/html' })
    expect(page.status).to.equal(200)
    expect(String(page.headers.vary).toLowerCase()).to.equal('accept-encoding, origin')
  })
})
