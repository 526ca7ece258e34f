import { expect } from 'chai'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AssertionVerifier, signAssertion } from '../../../kernel/cluster/assertion.js'
import { cleanup, gitRepo, onCleanup, openSse } from '../../support/helper.js'
import { until } from '../../support/session.js'
import { connect } from '../../support/terminal-socket.js'
import { database, leaseRows, node, SECRET, sql, stopPostgres } from './setup.js'

const ASSERTION = 'x-opencode-kernel-assertion'

/** A shell that reads no profile, so its output is predictable. */
const QUIET_SHELL = { command: 'bash', args: ['--noprofile', '--norc'] }

describe('cluster: forwarding to the node that runs an instance', function () {
  this.timeout(60_000)
  after(stopPostgres)
  afterEach(cleanup)

  it('runs an instance on the first node asked; the other forwards its requests there', async () => {
    const url = await database()
    const a = await node(url, 'node-a')
    const b = await node(url, 'node-b')
    const repo = gitRepo()
    const q = `?directory=${encodeURIComponent(repo)}`

    expect((await a.call('GET', `/path${q}`)).body.directory).to.equal(repo)
    expect(await leaseRows(url)).to.deep.equal([{ directory: repo, node_id: 'node-a', node_url: a.base }])

    const viaB = await b.call('GET', `/path${q}`)
    expect(viaB.status).to.equal(200)
    expect(viaB.body.directory).to.equal(repo)
    expect(b.server.kernel.instances.has(repo)).to.equal(false)
    // B remembers A's lease until it expires: forwarding asks the database nothing per request.
    const db = b.server.kernel.cluster!.db
    const query = db.query.bind(db)
    const leaseQueries: string[] = []
    db.query = ((text: string, params?: unknown[]) => {
      if (text.includes('kernel_lease')) leaseQueries.push(text)
      return query(text, params)
    }) as typeof db.query
    for (let i = 0; i < 5; i++) expect((await b.call('GET', `/path${q}`)).status).to.equal(200)
    db.query = query
    expect(leaseQueries).to.deep.equal([])

    // A body sent to B is streamed on to A: the terminal is created on A.
    const created = await b.call('POST', `/pty${q}`, { ...QUIET_SHELL, title: 'via b' })
    expect(created.status).to.equal(200)
    expect(created.body.title).to.equal('via b')
    expect((await a.call('GET', `/pty${q}`)).body.map((pty: any) => pty.id)).to.deep.equal([created.body.id])
    expect((await b.call('GET', `/pty/${created.body.id}${q}`)).body.id).to.equal(created.body.id)
    // Errors come back as the owner sent them.
    const missing = await b.call('GET', `/pty/pty_missing${q}`)
    expect(missing.status).to.equal(404)
    expect(missing.body.name).to.equal('PtyNotFoundError')
    expect((await b.call('DELETE', `/pty/${created.body.id}${q}`)).body).to.equal(true)

    const [nodeA, nodeB] = [await a.node(), await b.node()]
    expect(nodeA).to.deep.equal({
      id: 'node-a',
      url: a.base,
      backend: 'postgres',
      instances: [repo],
      database: 'reachable',
    })
    expect(nodeB).to.deep.equal({
      id: 'node-b',
      url: b.base,
      backend: 'postgres',
      instances: [],
      database: 'reachable',
    })
    expect((await a.call('GET', '/global/health')).body).to.have.all.keys('healthy', 'version')
  })

  it("tells the owner which directory a request that named none meant (the forwarding node's cwd)", async () => {
    const url = await database()
    const repo = gitRepo()
    const a = await node(url, 'node-a')
    const b = await node(url, 'node-b', { cwd: repo })
    await a.call('GET', `/path?directory=${encodeURIComponent(repo)}`)
    const answer = await b.call('GET', '/path')
    expect(answer.status).to.equal(200)
    expect(answer.body.directory).to.equal(repo)
    expect(b.server.kernel.instances.has(repo)).to.equal(false)
  })

  it('streams an SSE response through as it comes, and ends it when the caller leaves', async () => {
    const url = await database()
    const a = await node(url, 'node-a')
    const b = await node(url, 'node-b')
    const repo = gitRepo()
    await a.call('GET', `/path?directory=${encodeURIComponent(repo)}`)

    const stream = await openSse(`${b.base}/event?directory=${encodeURIComponent(repo)}`)
    expect(stream.response.statusCode).to.equal(200)
    expect(stream.response.headers['content-type']).to.match(/^text\/event-stream/)
    await stream.next((frame) => frame.data?.type === 'server.connected')
    // The stream is A's: B only passes it on.
    expect(a.server.streams.size).to.equal(1)
    expect(b.server.streams.size).to.equal(0)
    stream.close()
    await until(() => a.server.streams.size === 0, 5000, 'the stream on A to end')
  })

  it('pipes a terminal WebSocket through to the owner, both ways, close code included', async () => {
    const url = await database()
    const a = await node(url, 'node-a')
    const b = await node(url, 'node-b')
    const repo = gitRepo()
    const q = `?directory=${encodeURIComponent(repo)}`
    await a.call('GET', `/path${q}`)
    const { id } = (await b.call('POST', `/pty${q}`, QUIET_SHELL)).body

    const terminal = await connect(b.base, id, { directory: repo })
    await terminal.meta
    terminal.send('echo forwarded-$((40+2))\r')
    await until(() => terminal.text().includes('forwarded-42'), 10_000, 'the echo through B')
    // v2 connect, through B too.
    const v2 = await connect(b.base, id, { 'location[directory]': repo }, {}, '/api')
    await v2.meta
    expect((await b.call('DELETE', `/pty/${id}${q}`)).body).to.equal(true)
    expect((await terminal.closed).code).to.equal(1000)
    expect((await v2.closed).code).to.equal(1000)
    // An unknown terminal: the owner's refusal reaches the caller.
    const refused = await connect(b.base, 'pty_missing', { directory: repo }).catch(
      (error: { status: number }) => error,
    )
    expect((refused as { status: number }).status).to.equal(404)
  })

  it('forwards a v2 request whose instance a handler finds from the session, its body sent again', async () => {
    const url = await database()
    const only = ['core', 'agent', 'provider', 'session', 'question']
    const a = await node(url, 'node-a', { only })
    const b = await node(url, 'node-b', { only })
    const repo = gitRepo()
    const session = (await a.call('POST', `/session?directory=${encodeURIComponent(repo)}`, {})).body
    // B learns of the session through its replica, not by running the instance.
    await until(
      () => b.server.kernel.storage.db.prepare('SELECT id FROM session WHERE id = ?').get(session.id) !== undefined,
      5000,
      'the session to reach B',
    )

    const listed = await b.call('GET', `/api/session/${session.id}/question`)
    expect(listed.status).to.equal(200)
    expect(listed.body).to.deep.equal({ data: [] })
    expect(b.server.kernel.instances.has(repo)).to.equal(false)
    // A's answer (no such question), which it could only give with the body B re-sent.
    const replied = await b.call('POST', `/api/session/${session.id}/question/que_missing/reply`, {
      answers: [['yes']],
    })
    expect(replied.status).to.equal(404)
    expect(replied.body._tag).to.equal('QuestionNotFoundError')
    expect(b.server.kernel.instances.has(repo)).to.equal(false)
  })

  it('lets a browser attach through another node with a ticket the owner issued, and only with one', async () => {
    const url = await database()
    const password = 'cluster-test-password'
    const a = await node(url, 'node-a', { password })
    const b = await node(url, 'node-b', { password })
    const auth = { authorization: `Basic ${Buffer.from(`opencode:${password}`).toString('base64')}` }
    const repo = gitRepo()
    const q = `?directory=${encodeURIComponent(repo)}`
    expect((await a.call('GET', `/path${q}`, undefined, auth)).status).to.equal(200)
    const { id } = (await b.call('POST', `/pty${q}`, QUIET_SHELL, auth)).body
    const token = await b.call('POST', `/pty/${id}/connect-token${q}`, undefined, { ...auth, 'x-opencode-ticket': '1' })
    expect(token.status).to.equal(200)

    const terminal = await connect(b.base, id, { directory: repo, ticket: token.body.ticket })
    await terminal.meta
    terminal.send('echo ticket-$((6*7))\r')
    await until(() => terminal.text().includes('ticket-42'), 10_000, 'the echo through B')
    // Used up on the owner; a made-up one is refused by the owner; without any, B refuses.
    const attempts: Record<string, string>[] = [{ ticket: token.body.ticket }, { ticket: 'made-up' }, {}]
    for (const query of attempts) {
      const refused = await connect(b.base, id, { directory: repo, ...query }).catch(
        (error: { status: number }) => error,
      )
      expect((refused as { status: number }).status, JSON.stringify(query)).to.equal(401)
    }
    // On the owner itself a ticket it does not know is refused too (nowhere to defer it to).
    const onOwner = await connect(a.base, id, { directory: repo, ticket: 'made-up' }).catch(
      (error: { status: number }) => error,
    )
    expect((onOwner as { status: number }).status).to.equal(401)
    // B itself is not refused by the owner after those failures.
    expect((await b.call('GET', `/pty${q}`, undefined, auth)).status).to.equal(200)

    // A ticket for an instance no node runs: the same 401 whether the directory exists or not,
    // and no lease taken (a ticket is only ever checked by the node that issued it).
    const idle = gitRepo()
    for (const directory of [idle, `${idle}-missing`]) {
      const refused = await connect(b.base, id, { directory, ticket: 'made-up' }).catch(
        (error: { status: number }) => error,
      )
      expect((refused as { status: number }).status, directory).to.equal(401)
    }
    expect((await leaseRows(url)).map((row) => row.directory)).to.not.include(idle)
    expect(b.server.kernel.instances.has(idle)).to.equal(false)
  })

  it("checks a forwarded request's Origin and pairing cookie against the Host the browser addressed", async () => {
    const url = await database()
    const password = 'cluster-test-password'
    const a = await node(url, 'node-a', { password })
    const b = await node(url, 'node-b', { password })
    const auth = { authorization: `Basic ${Buffer.from(`opencode:${password}`).toString('base64')}` }
    const repo = gitRepo()
    const q = `?directory=${encodeURIComponent(repo)}`
    expect((await a.call('GET', `/path${q}`, undefined, auth)).status).to.equal(200)

    // A page B serves, on B's loopback port: its state change runs on A, the owner.
    const page = `http://localhost:${new URL(b.base).port}`
    const created = await b.call('POST', `/pty${q}`, QUIET_SHELL, { ...auth, origin: page })
    expect(created.status).to.equal(200)
    expect(a.server.kernel.instances.has(repo)).to.equal(true)
    expect((await b.call('DELETE', `/pty/${created.body.id}${q}`, undefined, auth)).status).to.equal(200)
    const elsewhere = await b.call('POST', `/pty${q}`, QUIET_SHELL, { ...auth, origin: 'http://localhost:1' })
    expect(elsewhere.status).to.equal(403)

    // A browser paired through B: its cookie is named for B's port, and the owner accepts it.
    const { code } = (await b.call('POST', '/api/pair', undefined, auth)).body
    const paired = await fetch(`${b.base}/auth/connect/${code}`, {
      headers: { accept: 'text/html' },
      redirect: 'manual',
    })
    const cookie = (paired.headers.get('set-cookie') ?? '').split(';')[0]!
    expect(cookie).to.match(new RegExp(`^opencode_session_${new URL(b.base).port}=`))
    expect((await b.call('GET', `/pty${q}`, undefined, { cookie })).status).to.equal(200)
    expect((await b.call('GET', `/pty${q}`)).status).to.equal(401)
  })

  it('refuses a forwarded request without a valid assertion: forged, missing, replayed, for another request', async () => {
    const url = await database()
    const a = await node(url, 'node-a')
    const repo = gitRepo()
    const path = `/path?directory=${encodeURIComponent(repo)}`
    const asserted = (assertion: string) => ({ 'x-opencode-kernel-forwarded': 'node-x', [ASSERTION]: assertion })
    const claim = { node: 'node-x', client: '10.0.0.1', authenticated: true }
    const valid = signAssertion(SECRET, { ...claim, method: 'GET', path })
    const refused: Record<string, string>[] = [
      asserted(signAssertion('not-the-secret-0123456789', { ...claim, method: 'GET', path })),
      asserted(`${valid.split('.')[0]}.AAAA`),
      { 'x-opencode-kernel-forwarded': 'node-x' },
      // The secret in clear, as earlier versions sent it, is no longer a credential.
      { 'x-opencode-kernel-forwarded': 'node-x', 'x-opencode-kernel-secret': SECRET },
      asserted(signAssertion(SECRET, { ...claim, method: 'POST', path })),
      asserted(signAssertion(SECRET, { ...claim, method: 'GET', path: '/path' })),
      asserted(signAssertion(SECRET, { ...claim, method: 'GET', path }, Date.now() - 60_000)),
    ]
    for (const headers of refused) {
      const answer = await a.call('GET', path, undefined, headers)
      expect(answer.status, JSON.stringify(headers)).to.equal(403)
      expect(answer.body.name).to.equal('ForbiddenError')
    }
    expect(a.server.kernel.instances.has(repo)).to.equal(false)
    expect((await a.call('GET', path, undefined, asserted(valid))).status).to.equal(200)
    // Used once.
    expect((await a.call('GET', path, undefined, asserted(valid))).status).to.equal(403)
  })

  it("forwards without the caller's credentials or the cluster secret: a signed assertion stands for them", async () => {
    const url = await database()
    const password = 'cluster-test-password'
    const b = await node(url, 'node-b', { password })
    const repo = gitRepo()
    // The owner is a plain HTTP server here, to see exactly what it receives.
    const received: { url: string; headers: Record<string, unknown> }[] = []
    const owner = createServer((request, response) => {
      received.push({ url: request.url!, headers: request.headers })
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
    await new Promise<void>((resolve) => owner.listen(0, '127.0.0.1', resolve))
    onCleanup(() => new Promise<void>((resolve) => owner.close(() => resolve())))
    const ownerUrl = `http://127.0.0.1:${(owner.address() as AddressInfo).port}`
    // B's first instance creates the lease table.
    const basic = `Basic ${Buffer.from(`opencode:${password}`).toString('base64')}`
    const own = `/path?directory=${encodeURIComponent(gitRepo())}`
    expect((await b.call('GET', own, undefined, { authorization: basic })).status).to.equal(200)
    await sql(
      url,
      `INSERT INTO kernel_lease (directory, node_id, node_url, expires_at, epoch) VALUES ($1, 'node-fake', $2, $3, 1)`,
      [repo, ownerUrl, Date.now() + 600_000],
    )
    const q = `directory=${encodeURIComponent(repo)}`
    expect((await b.call('GET', `/path?${q}`, undefined, { authorization: basic, cookie: 'a=b' })).status).to.equal(200)
    const token = encodeURIComponent(Buffer.from(`opencode:${password}`).toString('base64'))
    expect((await b.call('GET', `/path?${q}&auth_token=${token}`)).status).to.equal(200)
    expect(received).to.have.length(2)
    for (const { headers } of received) {
      expect(headers).to.not.have.any.keys('authorization', 'cookie', 'x-opencode-kernel-secret')
      expect(JSON.stringify(headers)).to.not.include(password).and.not.include(SECRET)
    }
    expect(received[1]!.url).to.equal(`/path?${q}`)
    const verifier = new AssertionVerifier(SECRET)
    const assertion = verifier.verify(received[1]!.headers[ASSERTION], 'GET', received[1]!.url)
    expect(assertion).to.include({ node: 'node-b', authenticated: true, method: 'GET' })
  })

  it('answers 503 to a forwarded request for an instance another node runs, never forwarding it again', async () => {
    const url = await database()
    const a = await node(url, 'node-a')
    const b = await node(url, 'node-b')
    const repo = gitRepo()
    const q = `?directory=${encodeURIComponent(repo)}`
    await b.call('GET', `/path${q}`)
    const answer = await a.call('GET', `/path${q}`, undefined, {
      'x-opencode-kernel-forwarded': 'node-x',
      [ASSERTION]: signAssertion(SECRET, {
        node: 'node-x',
        client: '10.0.0.1',
        authenticated: true,
        method: 'GET',
        path: `/path${q}`,
      }),
    })
    expect(answer.status).to.equal(503)
    expect(answer.body.name).to.equal('InstanceUnavailableError')
    expect(answer.body.data.message).to.include('node-b')
    expect(answer.body.data.retryAfterMs).to.be.a('number')
    expect(answer.headers.get('retry-after')).to.equal('1')
    expect(a.server.kernel.instances.has(repo)).to.equal(false)
  })
})
