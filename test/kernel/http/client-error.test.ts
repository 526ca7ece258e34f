// Requests Node's HTTP parser refuses get an HTTP answer with `Connection: close` and a clean
// close, so that neither the answer nor a keep-alive client's next request is lost.
import { expect } from 'chai'
import { connect } from 'node:net'
import { Client } from 'undici'
import { LINGER_MS } from '../../../kernel/http/client-error.js'
import { cleanup, listen, startServer } from '../../support/helper.js'

/** Writes `bytes` on a fresh socket; what came back and how the connection ended. */
function raw(
  port: number,
  bytes: string | Buffer,
  options: { keepOpen?: boolean } = {},
): Promise<{ answer: string; ended: 'closed' | string; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now()
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: options.keepOpen ?? false })
    let answer = ''
    // keepOpen: the client goes on sending and never ends its side.
    let trickle: NodeJS.Timeout | undefined
    socket.on('connect', () => {
      if (!options.keepOpen) return socket.end(bytes)
      socket.write(bytes)
      trickle = setInterval(() => socket.write('x'), 100)
    })
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')))
    socket.on('close', () => clearInterval(trickle))
    socket.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ answer, ended: error.code ?? error.message, ms: Date.now() - started }),
    )
    socket.on('close', () => resolve({ answer, ended: 'closed', ms: Date.now() - started }))
  })
}

describe('kernel: requests the HTTP parser refuses', () => {
  afterEach(cleanup)

  it('answers a request over the header limit 431 with Connection: close, and a keep-alive client goes on', async function () {
    this.timeout(60_000)
    const url = await listen(await startServer({ only: ['core'] }))
    const client = new Client(url)
    try {
      for (let i = 0; i < 20; i++) {
        const refused = await client.request({ method: 'GET', path: `/global/health?x=${'q'.repeat(20_000)}` })
        expect(refused.statusCode).to.equal(431)
        expect(refused.headers.connection).to.equal('close')
        expect(await refused.body.json()).to.deep.equal({
          name: 'BadRequest',
          data: { message: 'The request line and headers exceed 16 KB' },
        })
        // The same client's next request: on a new connection, not into the closed one.
        const next = await client.request({ method: 'GET', path: '/global/health' })
        expect(next.statusCode).to.equal(200)
        await next.body.json()
      }
    } finally {
      await client.close()
    }
  })

  it('sends its answer before a clean close even when much of the request is still unread', async function () {
    this.timeout(60_000)
    const port = Number(new URL(await listen(await startServer({ only: ['core'] }))).port)
    for (let i = 0; i < 10; i++) {
      const result = await raw(
        port,
        `GET /global/health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(1_000_000)}\r\n\r\n`,
      )
      expect(result.answer.split('\r\n')[0]).to.equal('HTTP/1.1 431 Request Header Fields Too Large')
      expect(result.ended).to.equal('closed')
    }
    const garbage = await raw(port, 'GARBAGE\r\n\r\n')
    expect(garbage.answer).to.match(/^HTTP\/1\.1 400 Bad Request\r\n/)
    expect(garbage.answer).to.include('Connection: close')
    expect(JSON.parse(garbage.answer.split('\r\n\r\n')[1]!)).to.deep.equal({
      name: 'BadRequest',
      data: { message: 'Malformed HTTP request' },
    })
  })

  it('closes a refused connection whose client keeps it open and sending', async function () {
    this.timeout(60_000)
    const port = Number(new URL(await listen(await startServer({ only: ['core'] }))).port)
    const result = await raw(port, 'GARBAGE\r\n\r\n', { keepOpen: true })
    expect(result.answer).to.match(/^HTTP\/1\.1 400 /)
    // Its bytes are read and dropped for LINGER_MS, then the server lets go and the next ones are refused.
    expect(result.ended).to.be.oneOf(['ECONNRESET', 'EPIPE'])
    expect(result.ms).to.be.within(LINGER_MS - 100, LINGER_MS + 2000)
  })
})
