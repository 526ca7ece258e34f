import { expect } from 'chai'
import { cleanup, startServer, type TestServer } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

describe('kernel: error answers on /api/*', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({ only: ['core'] })
  })
  after(cleanup)

  it("answers a body that is not JSON with OpenCode 2.1's InvalidRequestError", async () => {
    for (const payload of ['nope', '{"a":', '[1,']) {
      const response = await server.app.inject({
        method: 'POST',
        url: '/api/pair',
        headers: { 'content-type': 'application/json' },
        payload,
      })
      expect(response.statusCode, payload).to.equal(400)
      expect(response.json()).to.deep.equal({
        _tag: 'InvalidRequestError',
        message: 'Expected a valid JSON body',
        kind: 'Payload',
      })
      expectMatches21('POST', '/api/pair', 400, response.json())
    }
    // v1 routes keep their own wording.
    const v1 = await server.app.inject({
      method: 'POST',
      url: '/log',
      headers: { 'content-type': 'application/json' },
      payload: 'nope',
    })
    expect(v1.statusCode).to.equal(400)
    expect(v1.json().data.message).to.match(/^Malformed JSON body/)
  })

  it('answers a body of an unsupported type with a plain-text 415, as OpenCode 2.1', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/api/pair',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'a=b',
    })
    expect(response.statusCode).to.equal(415)
    expect(response.headers['content-type']).to.match(/^text\/plain/)
    expect(response.body).to.equal('Unsupported content-type: application/x-www-form-urlencoded')
  })

  it('answers an unknown /api path with a tagged 404', async () => {
    for (const [method, url] of [
      ['GET', '/api/nothing'],
      ['POST', '/api/info'],
      ['GET', '/api'],
    ] as const) {
      const response = await server.app.inject({ method, url })
      expect(response.statusCode, url).to.equal(404)
      expect(response.json()._tag, url).to.equal('NotFoundError')
    }
  })
})
