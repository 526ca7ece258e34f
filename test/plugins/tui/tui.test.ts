import { expect } from 'chai'
import { request as httpRequest } from 'node:http'
import { cleanup, listen, openSse } from '../../support/helper.js'
import { sessionHarness } from '../../support/session.js'

const tuiHarness = () => sessionHarness({ extraPlugins: ['tui'] })

describe('plugin: tui', () => {
  afterEach(cleanup)

  it('publishes an event for each control route and answers true', async () => {
    const h = await tuiHarness()
    const session = await h.createSession()
    const calls: [string, unknown, string, unknown][] = [
      ['/tui/append-prompt', { text: 'hello' }, 'tui.prompt.append', { text: 'hello' }],
      ['/tui/open-help', undefined, 'tui.command.execute', { command: 'help.show' }],
      ['/tui/open-sessions', undefined, 'tui.command.execute', { command: 'session.list' }],
      ['/tui/open-themes', undefined, 'tui.command.execute', { command: 'theme.switch' }],
      ['/tui/open-models', undefined, 'tui.command.execute', { command: 'model.list' }],
      ['/tui/submit-prompt', undefined, 'tui.command.execute', { command: 'prompt.submit' }],
      ['/tui/clear-prompt', undefined, 'tui.command.execute', { command: 'prompt.clear' }],
      [
        '/tui/execute-command',
        { command: 'messages_half_page_up' },
        'tui.command.execute',
        { command: 'session.half.page.up' },
      ],
      ['/tui/execute-command', { command: 'agent_cycle' }, 'tui.command.execute', { command: 'agent.cycle' }],
      ['/tui/execute-command', { command: 'session.new' }, 'tui.command.execute', { command: 'session.new' }],
      [
        '/tui/show-toast',
        { message: 'Saved', variant: 'success' },
        'tui.toast.show',
        { message: 'Saved', variant: 'success', duration: 5000 },
      ],
      [
        '/tui/show-toast',
        { title: 'T', message: 'M', variant: 'error', duration: 100 },
        'tui.toast.show',
        { title: 'T', message: 'M', variant: 'error', duration: 100 },
      ],
      ['/tui/select-session', { sessionID: session.id }, 'tui.session.select', { sessionID: session.id }],
      [
        '/tui/publish',
        { type: 'tui.prompt.append', properties: { text: 'raw' } },
        'tui.prompt.append',
        { text: 'raw' },
      ],
      [
        '/tui/publish',
        { type: 'tui.toast.show', properties: { message: 'x', variant: 'info' } },
        'tui.toast.show',
        { message: 'x', variant: 'info' },
      ],
    ]
    for (const [url, body, type, properties] of calls) {
      const before = h.events.length
      const response = await h.call('POST', url, body)
      expect(response.status, url).to.equal(200)
      expect(response.body).to.equal(true)
      const published = h.events.slice(before).filter((e) => e.type.startsWith('tui.'))
      expect(
        published.map((e) => [e.type, e.properties]),
        url,
      ).to.deep.equal([[type, properties]])
    }
  })

  it('rejects bad bodies and unknown sessions, publishing nothing', async () => {
    const h = await tuiHarness()
    const bad: [string, unknown, number][] = [
      ['/tui/append-prompt', {}, 400],
      ['/tui/execute-command', { command: 3 }, 400],
      ['/tui/show-toast', { message: 'no variant' }, 400],
      ['/tui/show-toast', { message: 'm', variant: 'loud' }, 400],
      ['/tui/show-toast', { message: 'm', variant: 'info', duration: 0 }, 400],
      ['/tui/select-session', { sessionID: 'nope' }, 400],
      ['/tui/select-session', { sessionID: 'ses_unknown' }, 404],
      ['/tui/publish', { type: 'session.deleted', properties: {} }, 400],
      ['/tui/publish', { type: 'tui.session.select', properties: { sessionID: 'ses_unknown' } }, 404],
      ['/tui/control/response', undefined, 400],
    ]
    for (const [url, body, status] of bad) expect((await h.call('POST', url, body)).status, url).to.equal(status)
    expect(h.events.filter((e) => e.type.startsWith('tui.'))).to.deep.equal([])
  })

  it('reaches SSE clients', async () => {
    const h = await tuiHarness()
    const base = await listen(h.server)
    const sse = await openSse(`${base}/event?directory=${encodeURIComponent(h.repo)}`)
    await h.call('POST', '/tui/append-prompt', { text: 'over the wire' })
    const frame = await sse.next((f) => f.data?.type === 'tui.prompt.append')
    expect(frame.data.properties).to.deep.equal({ text: 'over the wire' })
  })

  it('hands plugin requests to the polling TUI and its responses back', async () => {
    const h = await tuiHarness()
    const instance = await h.server.kernel.instances.get(h.repo)
    // A request made before anyone polls waits in the queue.
    const first = h.server.app.tui.request(instance, '/tui/confirm', { question: 'Proceed?' })
    expect((await h.call('GET', '/tui/control/next')).body).to.deep.equal({
      path: '/tui/confirm',
      body: { question: 'Proceed?' },
    })
    expect((await h.call('POST', '/tui/control/response', { answer: 'yes' })).body).to.equal(true)
    expect(await first).to.deep.equal({ answer: 'yes' })

    // A poll made before any request waits for one.
    const polling = h.call('GET', '/tui/control/next')
    await new Promise((resolve) => setTimeout(resolve, 50))
    const second = h.server.app.tui.request(instance, '/tui/pick', [1, 2])
    expect((await polling).body).to.deep.equal({ path: '/tui/pick', body: [1, 2] })
    await h.call('POST', '/tui/control/response', 2)
    expect(await second).to.equal(2)
  })

  it('drops the wait of a poller that goes away, and ends waits when the instance is disposed', async () => {
    const h = await tuiHarness()
    const base = await listen(h.server)
    const instance = await h.server.kernel.instances.get(h.repo)
    // A poller that disconnects does not swallow the next request.
    const gone = httpRequest(`${base}/tui/control/next?directory=${encodeURIComponent(h.repo)}`)
    gone.on('error', () => {})
    gone.end()
    await new Promise((resolve) => setTimeout(resolve, 100))
    gone.destroy()
    await new Promise((resolve) => setTimeout(resolve, 100))
    void h.server.app.tui.request(instance, '/tui/after', {}).catch(() => {})
    expect((await h.call('GET', '/tui/control/next')).body.path).to.equal('/tui/after')

    const waiting = h.call('GET', '/tui/control/next')
    const pending = h.server.app.tui.request(instance, '/tui/never', {}).then(
      () => 'answered',
      (error: Error) => error.name,
    )
    expect((await waiting).body.path).to.equal('/tui/never')
    const stuck = h.call('GET', '/tui/control/next')
    await new Promise((resolve) => setTimeout(resolve, 50))
    await h.call('POST', '/instance/dispose')
    expect((await stuck).status).to.equal(503)
    expect(await pending).to.equal('TuiUnavailableError')
  })
})
