import { expect } from 'chai'
import { cleanup, startServer, type TestServer } from '../support/helper.js'

const PLUGINS = [
  new URL('../../plugins/', import.meta.url).pathname,
  new URL('../fixtures/builtin/', import.meta.url).pathname,
]

describe('kernel: errors', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({ only: ['core', 'notes'], pluginDirs: PLUGINS, bodyLimit: 1024 })
  })
  after(cleanup)

  it('answers an unknown route with a JSON 404, for any method', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'DELETE'] as const) {
      const response = await server.app.inject({ method, url: '/no/such/route' })
      expect(response.statusCode).to.equal(404)
      expect(response.headers['content-type']).to.match(/application\/json/)
      expect(response.json()).to.deep.equal({
        name: 'NotFoundError',
        data: { message: `Route not found: ${method} /no/such/route` },
      })
    }
  })

  it('answers malformed JSON with 400 and creates nothing', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/notes',
      headers: { 'content-type': 'application/json' },
      payload: '{"text": ',
    })
    expect(response.statusCode).to.equal(400)
    expect(response.json().name).to.equal('BadRequest')
    expect(response.json().data.message).to.match(/Malformed JSON/)
    expect((await server.app.inject({ url: '/notes' })).json()).to.deep.equal([])
  })

  it('names the field and what was expected when validation fails', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/log',
      payload: { service: 'tui', level: 'loud', message: 'm' },
    })
    expect(response.statusCode).to.equal(400)
    expect(response.json().data.kind).to.equal('Body')
    expect(response.json().data.message).to.include('level').and.include('"debug"')
    const missing = await server.app.inject({ method: 'POST', url: '/log', payload: { level: 'info', message: 'm' } })
    expect(missing.json().data.message).to.include('service')
  })

  it('answers 507 InsufficientStorageError when the database cannot grow (disk full), and stores again once it can', async () => {
    const db = server.kernel.storage.db
    const pages = db.pragma('page_count', { simple: true }) as number
    db.pragma(`max_page_count = ${pages}`)
    try {
      let response
      // Until the free pages of the file are used up too.
      for (
        let i = 0;
        i < 200 &&
        (response = await server.app.inject({ method: 'POST', url: '/notes', payload: { text: 'y'.repeat(900) } }))
          .statusCode === 200;
        i++
      );
      expect(response!.statusCode).to.equal(507)
      expect(response!.json().name).to.equal('InsufficientStorageError')
      expect(response!.json().data.message).to.match(/disk is full/)
    } finally {
      db.pragma('max_page_count = 1073741823')
    }
    expect(
      (await server.app.inject({ method: 'POST', url: '/notes', payload: { text: 'after' } })).statusCode,
    ).to.equal(200)
    expect(db.pragma('integrity_check', { simple: true })).to.equal('ok')
  })

  it('answers 413 to an oversized body', async () => {
    const response = await server.app.inject({ method: 'POST', url: '/notes', payload: { text: 'x'.repeat(4096) } })
    expect(response.statusCode).to.equal(413)
    expect(response.json().name).to.equal('PayloadTooLargeError')
  })

  it('passes a plugin error through with its name and status', async () => {
    const response = await server.app.inject({ url: '/notes/abc' })
    expect(response.statusCode).to.equal(404)
    expect(response.json()).to.deep.equal({ name: 'NotFoundError', data: { message: 'Note not found: abc' } })
  })

  it('hides internals of an unexpected error behind a reference', async () => {
    const response = await server.app.inject({ url: '/notes-crash' })
    expect(response.statusCode).to.equal(500)
    const body = response.json()
    expect(body.name).to.equal('UnknownError')
    expect(body.data.ref).to.match(/^err_[0-9a-f]{8}$/)
    expect(response.body).to.not.include('secret internal detail')
  })

  it('treats an empty JSON body on an action route as no body', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/instance/dispose',
      headers: { 'content-type': 'application/json' },
      payload: '',
    })
    expect(response.statusCode).to.equal(200)
  })
})
