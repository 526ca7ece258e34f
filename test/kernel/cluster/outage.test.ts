import { expect } from 'chai'
import { cleanup, gitRepo, listen, openSse, sleep, startServer } from '../../support/helper.js'
import { ScriptedLlm } from '../../support/llm.js'
import { startPostgres, type TestPostgres } from '../../support/pg.js'
import { writeScriptedConfig } from '../../support/server-process.js'

const SECRET = 'outage-test-cluster-secret'

describe('kernel: cluster, the database going away', function () {
  this.timeout(90_000)
  let pg: TestPostgres
  let llm: ScriptedLlm

  before(async () => {
    pg = await startPostgres({ cleanup: false })
    llm = new ScriptedLlm()
    await llm.start()
  })
  after(async () => {
    await cleanup()
    await llm.close()
    await pg.close()
  })

  it('answers 503 for the 10 s the database is away, then resumes without a restart, and streaming clients miss no event', async () => {
    const repo = gitRepo()
    writeScriptedConfig(repo, llm.url)
    const server = await startServer({ cwd: repo, database: await pg.createDatabase(), clusterSecret: SECRET })
    const url = await listen(server)
    const session = (await (
      await fetch(`${url}/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    ).json()) as { id: string }
    const events = await openSse(`${url}/event`)
    await events.next((frame) => frame.data.type === 'server.connected')

    // A reply streamed over ~14 s: the database goes away after its first words.
    const words = Array.from({ length: 35 }, (_, i) => `w${i} `)
    llm.script({ text: words, delayMs: 400 })
    const sent = await fetch(`${url}/session/${session.id}/prompt_async`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ parts: [{ type: 'text', text: 'talk slowly' }] }),
    })
    expect(sent.status).to.equal(204)
    await events.next((frame) => frame.data.type === 'message.part.delta' && frame.data.properties.delta === 'w1 ')

    await pg.stop()
    const outageStarted = Date.now()
    // Until the server notices, a request may still pass; then every one is a 503 that says why.
    let refused: Response | undefined
    while (!refused && Date.now() - outageStarted < 5000) {
      const response = await fetch(`${url}/session`)
      if (response.status === 503) refused = response
      else await sleep(100)
    }
    expect(refused, 'a request during the outage').to.not.equal(undefined)
    expect(refused!.headers.get('retry-after')).to.equal('1')
    expect(((await refused!.json()) as { name: string }).name).to.equal('DatabaseUnavailableError')
    expect((await fetch(`${url}/global/health`)).status).to.equal(200)
    const node = await fetch(`${url}/global/node`)
    expect(node.status).to.equal(200)
    expect(((await node.json()) as { database: string }).database).to.equal('unreachable')
    await sleep(10_000 - (Date.now() - outageStarted))
    expect((await fetch(`${url}/session/${session.id}`)).status).to.equal(503)
    await pg.start()

    // Back without a restart: requests answer again, and the reply finishes.
    const back = Date.now()
    while ((await fetch(`${url}/session`)).status !== 200) {
      expect(Date.now() - back, 'requests answer again').to.be.below(10_000)
      await sleep(100)
    }
    await events.next((frame) => frame.data.type === 'session.idle', 30_000)
    // Every delta reached the client that stayed connected, once and in order.
    const deltas = events.frames
      .filter((frame) => frame.data.type === 'message.part.delta')
      .map((frame) => frame.data.properties.delta)
    expect(deltas.join('')).to.equal(words.join(''))
    const ids = events.frames.map((frame) => Number(frame.id))
    expect(ids.every((id, i) => i === 0 || id >= ids[i - 1]!)).to.equal(true)
    // What was written during the outage reached the database: a fresh server on it sees the reply.
    const messages = (await (await fetch(`${url}/session/${session.id}/message`)).json()) as any[]
    expect(messages.at(-1).parts.find((part: { type: string }) => part.type === 'text').text).to.equal(
      words.join('').trimEnd(),
    )
    await server.kernel.cluster!.replica.flush()
    const fresh = await startServer({ cwd: repo, database: server.kernel.cluster!.db.url, clusterSecret: SECRET })
    expect(
      fresh.kernel.storage.db.prepare('SELECT count(*) AS n FROM message WHERE session_id = ?').get(session.id),
    ).to.deep.equal({ n: 2 })
    const stored = fresh.kernel.storage.db
      .prepare("SELECT data FROM part WHERE session_id = ? AND json_extract(data, '$.type') = 'text'")
      .all(session.id) as { data: string }[]
    expect(stored.map((row) => JSON.parse(row.data).text)).to.include(words.join('').trimEnd())
    events.close()

    // And a new prompt works.
    llm.script({ text: ['after'] })
    const reply = await fetch(`${url}/session/${session.id}/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ parts: [{ type: 'text', text: 'again' }] }),
    })
    expect(reply.status).to.equal(200)
  })
})
