import { expect } from 'chai'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cleanup, onCleanup } from '../../support/helper.js'
import { toolHarness } from '../../support/tools.js'

const PAGE =
  '<html><head><title>T</title><style>p{}</style><script>evil()</script></head><body><h1>Title</h1><p>Some <b>bold</b> text &amp; more.</p><ul><li>one</li></ul></body></html>'

async function site(): Promise<string> {
  const server: Server = createServer((request, response) => {
    if (request.url === '/page')
      return response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE)
    if (request.url === '/plain') return response.writeHead(200, { 'content-type': 'text/plain' }).end('just text')
    if (request.url === '/big') {
      response.writeHead(200, { 'content-type': 'text/plain' })
      const chunk = 'x'.repeat(1024 * 1024)
      for (let i = 0; i < 6; i++) response.write(chunk)
      return response.end()
    }
    if (request.url === '/slow') return setTimeout(() => response.end('late'), 5000)
    response.writeHead(404).end('missing')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onCleanup(() => new Promise((resolve) => server.close(resolve)))
  onCleanup(() => server.closeAllConnections())
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('tool: webfetch', () => {
  after(cleanup)

  it('fetches HTML as markdown, text or html, and plain text as is', async () => {
    const base = await site()
    const h = await toolHarness()
    const markdown = await h.run('webfetch', { url: `${base}/page` })
    expect(markdown.result!.output)
      .to.contain('# Title')
      .and.contain('Some **bold** text & more.')
      .and.contain('-   one')
      .and.not.contain('evil')
    expect(markdown.result!.title).to.equal(`${base}/page (text/html; charset=utf-8)`)
    expect(markdown.asks[0]).to.deep.include({ permission: 'webfetch', patterns: [`${base}/page`] })
    const text = await h.run('webfetch', { url: `${base}/page`, format: 'text' })
    expect(text.result!.output)
      .to.contain('Title')
      .and.contain('Some bold text & more.')
      .and.not.contain('<')
      .and.not.contain('evil')
    expect((await h.run('webfetch', { url: `${base}/page`, format: 'html' })).result!.output).to.equal(PAGE)
    expect((await h.run('webfetch', { url: `${base}/plain` })).result!.output).to.equal('just text')
  })

  it('fails clearly on errors, size, time, bad schemes and unreachable hosts', async () => {
    const base = await site()
    const h = await toolHarness()
    expect((await h.run('webfetch', { url: `${base}/nothing` })).error?.message).to.equal(
      `Failed to fetch ${base}/nothing: Request failed with status code 404`,
    )
    expect((await h.run('webfetch', { url: `${base}/big` })).error?.message).to.match(/Response too large/)
    expect((await h.run('webfetch', { url: `${base}/slow`, timeout: 0.3 })).error?.message).to.match(
      /timed out after 0\.3 s/,
    )
    expect((await h.run('webfetch', { url: 'file:///etc/passwd' })).error?.message).to.equal(
      'Only http and https URLs can be fetched, not file:',
    )
    expect((await h.run('webfetch', { url: 'not a url' })).error?.message).to.equal('Invalid URL: not a url')
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    expect((await h.run('webfetch', { url: `http://127.0.0.1:${port}/` })).error?.message).to.match(
      new RegExp(`^Failed to fetch http://127\\.0\\.0\\.1:${port}/: .*ECONNREFUSED`),
    )
    expect((await h.run('webfetch', { url: 'http://no-such-host.invalid/' })).error?.message).to.match(
      /^Failed to fetch http:\/\/no-such-host\.invalid\/: .*(ENOTFOUND|EAI_AGAIN|getaddrinfo)/,
    )
  })
})
