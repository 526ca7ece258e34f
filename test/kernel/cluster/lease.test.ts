import { expect } from 'chai'
import { cleanup, gitRepo, listen, startServer, tempDir } from '../../support/helper.js'
import { waitFor } from '../../support/server-process.js'
import { until } from '../../support/session.js'
import { database, leaseRows, node, nodeProcess, request, SECRET, sql, stopPostgres, TTL_MS } from './setup.js'

const KILLED_TTL_MS = 4000

describe('cluster: instance leases', function () {
  this.timeout(90_000)
  after(stopPostgres)
  afterEach(cleanup)

  it('hands the leases back at shutdown: another node takes the instance over at once', async () => {
    const url = await database()
    const a = await node(url, 'node-a')
    const b = await node(url, 'node-b')
    const repo = gitRepo()
    const q = `?directory=${encodeURIComponent(repo)}`
    await a.call('GET', `/path${q}`)
    expect((await b.call('GET', `/path${q}`)).status).to.equal(200)

    await a.server.close()
    expect(await leaseRows(url)).to.deep.equal([])
    const started = Date.now()
    // B still thinks A runs it; A does not answer, the lease is free: B runs it, the body unread so far.
    const created = await b.call('POST', `/pty${q}`, {
      command: 'bash',
      args: ['--noprofile', '--norc'],
      title: 'on b',
    })
    expect(created.status).to.equal(200)
    expect(created.body.title).to.equal('on b')
    expect(Date.now() - started).to.be.below(TTL_MS)
    const answer = await b.call('GET', `/pty/${created.body.id}${q}`)
    expect(answer.status).to.equal(200)
    expect((await b.node()).instances).to.deep.equal([repo])
    expect(b.server.kernel.instances.has(repo)).to.equal(true)
  })

  it('renews its leases, and stops an instance at once when another node took its lease', async () => {
    const url = await database()
    const a = await node(url, 'node-a')
    const repo = gitRepo()
    const q = `?directory=${encodeURIComponent(repo)}`
    await a.call('GET', `/path${q}`)
    // Several ttls later the lease is still A's (renewed every ttl/3).
    await new Promise((resolve) => setTimeout(resolve, TTL_MS * 2))
    expect(await leaseRows(url)).to.deep.equal([{ directory: repo, node_id: 'node-a', node_url: a.base }])
    expect(a.server.kernel.instances.has(repo)).to.equal(true)

    await sql(
      url,
      `UPDATE kernel_lease SET node_id = 'node-z', node_url = 'http://127.0.0.1:9', expires_at = expires_at + 600000`,
    )
    await until(() => !a.server.kernel.instances.has(repo), TTL_MS * 2, 'A to stop the instance it lost')
    expect((await a.node()).instances).to.deep.equal([])
    // node-z does not answer: 503 with Retry-After, nothing booted here.
    const answer = await a.call('GET', `/path${q}`)
    expect(answer.status).to.equal(503)
    expect(answer.body.name).to.equal('InstanceUnavailableError')
    expect(answer.body.data.retryAfterMs).to.be.above(1000)
    expect(Number(answer.headers.get('retry-after'))).to.be.above(1)
    expect(a.server.kernel.instances.has(repo)).to.equal(false)
  })

  it('renews the leases of a server used before it listens (in-process requests)', async () => {
    const url = await database()
    const server = await startServer({
      database: url,
      clusterSecret: SECRET,
      nodeId: 'node-quiet',
      leaseTtlMs: TTL_MS,
      only: ['core'],
      cwd: tempDir('ok-cwd-'),
    })
    const repo = gitRepo()
    expect((await server.app.inject({ url: `/path?directory=${encodeURIComponent(repo)}` })).statusCode).to.equal(200)
    await new Promise((resolve) => setTimeout(resolve, TTL_MS * 2))
    expect(server.kernel.instances.has(repo)).to.equal(true)
    expect(server.kernel.node().instances).to.deep.equal([repo])
  })

  it('hands back the lease of an instance it stopped running, a ttl later', async () => {
    const url = await database()
    const a = await node(url, 'node-a')
    const repo = gitRepo()
    await a.call('GET', `/path?directory=${encodeURIComponent(repo)}`)
    expect((await a.call('POST', `/instance/dispose?directory=${encodeURIComponent(repo)}`)).status).to.equal(200)
    expect(await leaseRows(url)).to.have.length(1)
    await waitFor(
      async () => ((await leaseRows(url)).length === 0 ? true : undefined),
      TTL_MS * 3,
      'the idle lease to go back',
    )
    expect((await a.node()).instances).to.deep.equal([])
  })

  it('stops its instances when it cannot renew in time (the database is gone)', async () => {
    const url = await database()
    const a = await node(url, 'node-a')
    const repo = gitRepo()
    await a.call('GET', `/path?directory=${encodeURIComponent(repo)}`)
    // Renewal fails from now on: the lease rows vanish behind a renamed table.
    await sql(url, 'ALTER TABLE kernel_lease RENAME TO kernel_lease_gone')
    const started = Date.now()
    await until(() => !a.server.kernel.instances.has(repo), TTL_MS * 2, 'A to fence itself')
    // Before the lease could expire: no other node could have taken it yet.
    expect(Date.now() - started).to.be.below(TTL_MS)
    // Without an answer from the database nothing boots: the caller is told to retry.
    const refused = await a.call('GET', `/path?directory=${encodeURIComponent(repo)}`)
    expect(refused.status).to.equal(503)
    expect(refused.body.name).to.equal('InstanceUnavailableError')
    expect(refused.headers.get('retry-after')).to.equal('1')
    expect(a.server.kernel.instances.has(repo)).to.equal(false)
    await sql(url, 'ALTER TABLE kernel_lease_gone RENAME TO kernel_lease')
    expect((await a.call('GET', `/path?directory=${encodeURIComponent(repo)}`)).status).to.equal(200)
  })

  it('takes over the instance of a killed node once its lease expires', async () => {
    const url = await database()
    const repo = gitRepo()
    const q = `?directory=${encodeURIComponent(repo)}`
    // A longer lease than the others', so the request right after the kill surely falls inside it.
    const a = await nodeProcess(url, 'node-a', KILLED_TTL_MS)
    expect((await a.call('GET', `/path${q}`)).status).to.equal(200)
    const b = await node(url, 'node-b')
    expect((await b.call('GET', `/path${q}`)).status).to.equal(200)
    expect(b.server.kernel.instances.has(repo)).to.equal(false)

    expect(await a.stop('SIGKILL')).to.equal('SIGKILL')
    const killed = Date.now()
    // The owner is gone but its lease runs: the caller is told to retry, nothing boots on B yet.
    const early = await b.call('GET', `/path${q}`)
    expect(early.status).to.equal(503)
    expect(early.body.name).to.equal('InstanceUnavailableError')
    expect(early.body.data.message).to.include('node-a')
    expect(Number(early.headers.get('retry-after'))).to.be.within(1, KILLED_TTL_MS / 1000)
    // A request with a body too (it was streamed to the owner that did not answer).
    const posted = await b.call('POST', `/pty${q}`, { command: 'bash', args: ['--noprofile', '--norc'] })
    expect(posted.status).to.equal(503)
    expect(posted.body.name).to.equal('InstanceUnavailableError')
    expect(b.server.kernel.instances.has(repo)).to.equal(false)
    const served = await waitFor(
      async () => ((await b.call('GET', `/path${q}`)).status === 200 ? true : undefined),
      KILLED_TTL_MS + 2000,
      'B to take the instance over',
    )
    expect(served).to.equal(true)
    expect(Date.now() - killed).to.be.below(KILLED_TTL_MS + 2000)
    expect((await b.node()).instances).to.deep.equal([repo])
  })

  it('shuts a node down (to restart with a fresh replica) when changes it has yet to read were pruned', async () => {
    const url = await database()
    const a = await nodeProcess(url, 'node-a')
    expect((await a.call('GET', '/global/health')).status).to.equal(200)
    const exited = new Promise<number | null>((resolve) => a.child.once('exit', (code: number | null) => resolve(code)))
    // As if the node had been cut off while other nodes wrote and the log was pruned past it.
    await sql(url, "INSERT INTO kernel_pruned (log, upto) VALUES ('change', 1000000)")
    await sql(url, "SELECT setval('kernel_change_id_seq', 1000001)")
    await sql(
      url,
      `INSERT INTO kernel_change (node, time, events_upto, changes) VALUES ('node-z', 0, 0, '{"changes":[],"tables":[]}')`,
    )
    await sql(url, "SELECT pg_notify('opencode_kernel', 'node-z')")
    // A graceful shutdown (exit 0), which nothing else in this test asks for.
    expect(await exited).to.equal(0)
  })

  it('recovers what a crash left unfinished per instance, when that instance boots', async () => {
    const url = await database()
    const a = await node(url, 'node-a', { only: ['core', 'agent', 'provider', 'session', 'permission'] })
    const [x, y] = [gitRepo(), gitRepo()]
    const sessionIn = async (directory: string) =>
      (await a.call('POST', `/session?directory=${encodeURIComponent(directory)}`, {})).body.id as string
    const [inX, inY] = [await sessionIn(x), await sessionIn(y)]
    // Turns a crash interrupted: an assistant message still being written, in each directory.
    const db = a.server.kernel.storage.db
    const unfinished = (sessionID: string, id: string) =>
      db
        .prepare('INSERT INTO message (id, session_id, active, data) VALUES (?, ?, 1, ?)')
        .run(id, sessionID, JSON.stringify({ id, sessionID, role: 'assistant', time: { created: Date.now() } }))
    unfinished(inX, 'msg_x_unfinished')
    unfinished(inY, 'msg_y_unfinished')
    await a.server.kernel.instances.dispose(x)
    await a.server.kernel.instances.dispose(y)

    await a.call('GET', `/path?directory=${encodeURIComponent(x)}`)
    const message = (id: string) =>
      JSON.parse((db.prepare('SELECT data FROM message WHERE id = ?').get(id) as { data: string }).data)
    expect(message('msg_x_unfinished').error?.name).to.equal('MessageAbortedError')
    expect(message('msg_x_unfinished').time.completed).to.be.a('number')
    // Y has not booted again: its turn is not this node's to judge yet.
    expect(message('msg_y_unfinished').error).to.equal(undefined)
  })

  it('reports the SQLite backend, this process and its instances in /global/node', async () => {
    const repo = gitRepo()
    // SQLite whatever backend the run uses: this is about the SQLite backend.
    const dataDir = tempDir('ok-data-')
    const server = await startServer({
      only: ['core'],
      cwd: tempDir('ok-cwd-'),
      dataDir,
      database: `sqlite:${dataDir}/opencode-kernel.db`,
    })
    const base = await listen(server)
    await request(base, 'GET', `/path?directory=${encodeURIComponent(repo)}`)
    expect((await request(base, 'GET', '/global/health')).body).to.deep.equal({
      healthy: true,
      version: server.kernel.version,
    })
    expect((await request(base, 'GET', '/global/node')).body).to.deep.equal({
      id: `pid_${process.pid}`,
      url: base,
      backend: 'sqlite',
      instances: [repo],
    })
  })
})
