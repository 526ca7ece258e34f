// Fenced writes: a node paused past its lease (SIGSTOP) while streaming a reply resumes after
// another node took the instance over and wrote; nothing the paused node writes then commits.
// And a database restored from a dump under running nodes: they restart on it.
import { expect } from 'chai'
import { once } from 'node:events'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { cleanup, gitRepo, tempDir } from '../../support/helper.js'
import { postgresBinDir } from '../../support/pg.js'
import { PLUGINS } from '../../support/session.js'
import { waitFor } from '../../support/server-process.js'
import { database, node, nodeProcess, request, scriptedProject, sql, stopPostgres } from './setup.js'

/** The session's parts as PostgreSQL has them, as one text. */
async function rowsOf(url: string, sessionID: string): Promise<string> {
  return JSON.stringify(await sql(url, 'SELECT data FROM part WHERE session_id = $1', [sessionID]))
}

const OWNER_TTL_MS = 2000

describe('cluster: fenced writes', function () {
  this.timeout(120_000)
  after(stopPostgres)
  afterEach(cleanup)

  it('drops what a node paused past its lease writes on resuming: the new owner’s history is unchanged', async () => {
    const url = await database()
    const { llm, q } = await scriptedProject()
    const a = await nodeProcess(url, 'node-a', OWNER_TTL_MS)
    const b = await node(url, 'node-b', { only: PLUGINS })
    const bBase = b.base

    const session = (await a.call('POST', `/session${q}`, {})).body
    // A slow reply: A is paused part-way, and the rest waits in its socket until it resumes.
    const words = Array.from({ length: 40 }, (_, i) => `word${i} `)
    llm.script({ text: words, delayMs: 100 })
    const pending = a
      .call('POST', `/session/${session.id}/message${q}`, { parts: [{ type: 'text', text: 'first question' }] })
      .catch((error: Error) => error)
    await llm.untilRequests(1, 20_000)
    await waitFor(
      () =>
        b.server.kernel.storage.db
          .prepare("SELECT 1 AS one FROM part WHERE session_id = ? AND data LIKE '%word2 %'")
          .get(session.id),
      10_000,
      'the streamed part to replicate to B',
    )
    a.child.kill('SIGSTOP')

    // B takes the instance over once A's lease expires, marks the turn interrupted, and answers anew.
    await waitFor(
      async () =>
        (await request(bBase, 'GET', `/session/${session.id}/message${q}`)).status === 200 ? true : undefined,
      OWNER_TTL_MS + 20_000,
      'B to take the instance over',
    )
    llm.script({ text: 'Answered on B' })
    const second = await request(bBase, 'POST', `/session/${session.id}/message${q}`, {
      parts: [{ type: 'text', text: 'second question' }],
    })
    expect(second.status).to.equal(200)
    const history = (await request(bBase, 'GET', `/session/${session.id}/message${q}`)).body
    expect(history.map((message: any) => message.info.role)).to.deep.equal(['user', 'assistant', 'user', 'assistant'])
    expect(JSON.stringify(history[1])).to.not.include('word39')

    // A resumes with the rest of the reply in its socket and its lease gone: none of what it
    // writes then commits, and it shuts down to start again on a fresh replica.
    const exited = once(a.child, 'exit').then(() => 'exited')
    a.child.kill('SIGCONT')
    const ended = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('running'), 15_000))])
    const after = (await request(bBase, 'GET', `/session/${session.id}/message${q}`)).body
    expect(after).to.deep.equal(history)
    expect(await rowsOf(url, session.id)).to.not.include('word39')
    expect(ended, a.stdout().slice(-3000)).to.equal('exited')
    expect(a.stdout()).to.include('writes made under a lost instance lease were dropped')
    await pending
  })
})

describe('cluster: a database restored from a dump', function () {
  this.timeout(120_000)
  after(stopPostgres)
  afterEach(cleanup)

  it('makes a running node restart on the restored database, which a new node then serves', async () => {
    const url = await database()
    const repo = gitRepo()
    const q = `?directory=${encodeURIComponent(repo)}`
    const a = await nodeProcess(url, 'node-a')
    const kept = (await a.call('POST', `/session${q}`, { title: 'in the dump' })).body
    const dump = join(tempDir('ok-dump-'), 'cluster.dump')
    execFileSync(join(postgresBinDir(), 'pg_dump'), ['--format=custom', '--file', dump, url])
    const later = (await a.call('POST', `/session${q}`, { title: 'after the dump' })).body
    expect((await a.call('GET', `/session/${later.id}${q}`)).status).to.equal(200)

    const exited = once(a.child, 'exit')
    execFileSync(join(postgresBinDir(), 'pg_restore'), ['--clean', '--if-exists', '--dbname', url, dump])
    await Promise.race([
      exited,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`A did not restart: ${a.stdout().slice(-2000)}`)), 20_000),
      ),
    ])
    expect(a.stdout()).to.include('restored from a dump')

    const b = await node(url, 'node-b', { only: PLUGINS, cwd: repo })
    expect((await b.call('GET', `/session/${kept.id}${q}`)).body.title).to.equal('in the dump')
    expect((await b.call('GET', `/session/${later.id}${q}`)).status).to.equal(404)
  })
})
