import { expect } from 'chai'
import { cleanup, listen, startServer, tempDir } from '../../support/helper.js'
import { PLUGINS } from '../../support/session.js'
import { waitFor } from '../../support/server-process.js'
import { database, node, nodeProcess, request, scriptedProject, SECRET, stopPostgres } from './setup.js'

const OWNER_TTL_MS = 3000

describe('cluster: sessions across nodes', function () {
  this.timeout(120_000)
  after(stopPostgres)
  afterEach(cleanup)

  it('completes a tool call whose permission was asked on the owner and answered on another node', async () => {
    const url = await database()
    const { llm, q } = await scriptedProject({ permission: { read: { '*': 'ask' } } }, { 'notes.txt': 'one\ntwo\n' })
    const nodes = []
    for (const id of ['node-a', 'node-b']) {
      const server = await startServer({
        database: url,
        clusterSecret: SECRET,
        nodeId: id,
        leaseTtlMs: 1500,
        cwd: tempDir('ok-cwd-'),
        only: PLUGINS,
      })
      nodes.push(await listen(server))
    }
    const [a, b] = nodes as [string, string]

    const session = (await request(a, 'POST', `/session${q}`, {})).body
    llm.script({ toolCalls: [{ name: 'read', args: { filePath: 'notes.txt' } }] }, { text: 'Read it.' })
    const reply = request(a, 'POST', `/session/${session.id}/message${q}`, {
      parts: [{ type: 'text', text: 'read notes' }],
    })
    let last: unknown
    const asked = await waitFor(
      async () => {
        const listed = await request(b, 'GET', `/api/session/${session.id}/permission`)
        last = listed
        return listed.body?.data?.[0]
      },
      10_000,
      'the request to be listed on B',
    ).catch((error: Error) => {
      throw new Error(`${error.message}: last ${JSON.stringify(last)}`)
    })
    expect(asked.id).to.match(/^per/)
    const answer = await request(b, 'POST', `/api/session/${session.id}/permission/${asked.id}/reply`, {
      reply: 'once',
    })
    expect(answer.status).to.equal(204)
    const done = await reply
    expect(done.status).to.equal(200)
    expect(done.body.parts.find((part: any) => part.type === 'text').text).to.equal('Read it.')
  })

  it('lets another node take the instance over after expiry: history kept, the interrupted turn marked, a new prompt answered', async () => {
    const url = await database()
    const { llm, repo, q } = await scriptedProject()

    const a = await nodeProcess(url, 'node-a', OWNER_TTL_MS)
    const b = (await node(url, 'node-b', { only: PLUGINS })).server
    const bBase = await listen(b)

    const session = (await a.call('POST', `/session${q}`, {})).body
    expect(session.id).to.match(/^ses/)
    // The prompt goes to B, which forwards it to A; the model streams a little, then hangs.
    llm.script({ text: ['Half ', 'an ', 'answer ', 'never ', 'ends'], hang: true })
    const pending = request(bBase, 'POST', `/session/${session.id}/message${q}`, {
      parts: [{ type: 'text', text: 'first question' }],
    }).catch((error: Error) => error)
    await llm.untilRequests(1, 20_000)
    expect(b.kernel.instances.has(repo)).to.equal(false)
    // The streamed text reaches PostgreSQL (throttled part writes), then the owner dies.
    await waitFor(
      () => {
        const row = b.kernel.storage.db
          .prepare("SELECT data FROM part WHERE session_id = ? AND data LIKE '%Half%'")
          .get(session.id)
        return row === undefined ? undefined : true
      },
      10_000,
      'the streamed part to replicate to B',
    )
    expect(await a.stop('SIGKILL')).to.equal('SIGKILL')
    const killed = Date.now()
    await pending

    // B takes the lease once A's expires; the instance boots there and recovers the turn.
    const messages = await waitFor(
      async () => {
        const answer = await request(bBase, 'GET', `/session/${session.id}/message${q}`)
        return answer.status === 200 ? answer.body : undefined
      },
      OWNER_TTL_MS + 5000,
      'B to serve the session',
    )
    expect(Date.now() - killed).to.be.below(OWNER_TTL_MS + 2000 + 1000)
    expect(messages.map((message: any) => message.info.role)).to.deep.equal(['user', 'assistant'])
    const interrupted = messages[1]
    expect(interrupted.info.error?.name).to.equal('MessageAbortedError')
    expect(interrupted.info.time.completed).to.be.a('number')
    expect((await request(bBase, 'GET', '/global/node')).body.instances).to.deep.equal([repo])

    llm.script({ text: 'Answered on B' })
    const second = await request(bBase, 'POST', `/session/${session.id}/message${q}`, {
      parts: [{ type: 'text', text: 'second question' }],
    })
    expect(second.status).to.equal(200)
    expect(
      second.body.parts
        .filter((part: any) => part.type === 'text')
        .map((part: any) => part.text)
        .join(''),
    ).to.equal('Answered on B')
  })
})
