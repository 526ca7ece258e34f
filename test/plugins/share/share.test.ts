import { expect } from 'chai'
import { cleanup } from '../../support/helper.js'
import { sessionHarness, until } from '../../support/session.js'

async function shared(config: Record<string, unknown> = {}) {
  return sessionHarness({ extraPlugins: ['share'], config })
}

describe('plugin: share', () => {
  afterEach(cleanup)

  it('shares a session as a read-only page and JSON on this server; sharing again keeps the id', async () => {
    const h = await shared()
    h.llm.script({ text: 'Answer with <b>markup</b> & "quotes".' })
    const session = await h.createSession({ title: 'Shared <title>' })
    await h.prompt(session.id, 'Question <script>alert(1)</script>')

    const response = await h.call('POST', `/session/${session.id}/share`)
    expect(response.status).to.equal(200)
    const url: string = response.body.share.url
    expect(url).to.match(/^http:\/\/localhost(:\d+)?\/share\/[A-Za-z0-9_-]{12}$/)
    expect((await h.call('GET', `/session/${session.id}`)).body.share).to.deep.equal({ url })
    expect(h.events.some((e: any) => e.type === 'session.updated' && e.properties.info.share?.url === url)).to.equal(
      true,
    )
    expect((await h.call('POST', `/session/${session.id}/share`)).body.share.url).to.equal(url)

    const path = new URL(url).pathname
    const page = await h.server.app.inject({ method: 'GET', url: path })
    expect(page.statusCode).to.equal(200)
    expect(page.headers['content-type']).to.equal('text/html; charset=utf-8')
    expect(page.headers['content-security-policy']).to.contain("default-src 'none'")
    expect(page.body).to.contain('<title>Shared &lt;title&gt;</title>')
    expect(page.body).to.contain('Question &lt;script&gt;alert(1)&lt;/script&gt;')
    expect(page.body).to.contain('Answer with &lt;b&gt;markup&lt;/b&gt; &amp; &quot;quotes&quot;.')
    expect(page.body).not.to.contain('<script>')

    const json = await h.call('GET', `${path}?format=json`)
    expect(json.status).to.equal(200)
    expect(json.body.info.id).to.equal(session.id)
    expect(json.body.messages.map((m: any) => m.info.role)).to.deep.equal(['user', 'assistant'])
    expect(json.body.messages[1].parts.find((p: any) => p.type === 'text').text).to.equal(
      'Answer with <b>markup</b> & "quotes".',
    )
    expect((await h.call('GET', `${path}?format=xml`)).status).to.equal(400)
  })

  it('unshares: the page is gone and the session has no share', async () => {
    const h = await shared()
    const session = await h.createSession()
    const path = new URL((await h.call('POST', `/session/${session.id}/share`)).body.share.url).pathname
    const response = await h.call('DELETE', `/session/${session.id}/share`)
    expect(response.status).to.equal(200)
    expect(response.body.share).to.equal(undefined)
    expect((await h.call('GET', path)).status).to.equal(404)
    expect((await h.call('GET', `/session/${session.id}`)).body.share).to.equal(undefined)
    // Sharing again gives a new id.
    expect(new URL((await h.call('POST', `/session/${session.id}/share`)).body.share.url).pathname).not.to.equal(path)
  })

  it('answers 403 when the config disables sharing, changing nothing', async () => {
    const h = await shared({ share: 'disabled' })
    const session = await h.createSession()
    const response = await h.call('POST', `/session/${session.id}/share`)
    expect(response.status).to.equal(403)
    expect(response.body.name).to.equal('ForbiddenError')
    expect((await h.call('GET', `/session/${session.id}`)).body.share).to.equal(undefined)
  })

  it('shares new top-level sessions by itself with share: "auto"', async () => {
    const h = await shared({ share: 'auto' })
    const session = await h.createSession()
    await until(
      () => h.events.some((e: any) => e.type === 'session.updated' && e.properties.info.share),
      5000,
      'auto share',
    )
    expect((await h.call('GET', `/session/${session.id}`)).body.share.url).to.match(/\/share\//)
    const child = await h.createSession({ parentID: session.id })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await h.call('GET', `/session/${child.id}`)).body.share).to.equal(undefined)
  })

  it('answers 404 for unknown sessions and shares, 400 for malformed ids; a deleted session’s share is gone', async () => {
    const h = await shared()
    expect((await h.call('POST', '/session/ses_nope/share')).status).to.equal(404)
    expect((await h.call('DELETE', '/session/ses_nope/share')).status).to.equal(404)
    expect((await h.call('GET', '/share/unknown')).status).to.equal(404)
    expect((await h.call('GET', '/share/bad%20id')).status).to.equal(400)
    const session = await h.createSession()
    const path = new URL((await h.call('POST', `/session/${session.id}/share`)).body.share.url).pathname
    expect((await h.call('DELETE', `/session/${session.id}`)).status).to.equal(200)
    expect((await h.call('GET', path)).status).to.equal(404)
  })
})
