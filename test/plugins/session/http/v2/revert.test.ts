// v2 revert staging (`/api/session/:id/revert/{stage,clear,commit}`) over sessions written through v1.
import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, listen } from '../../../../support/helper.js'
import { expectMatches21, expectMatchesReference } from '../../../../support/openapi.js'
import { sessionHarness, type SessionHarness } from '../../../../support/session.js'
import { until } from '../../../../support/wait.js'

/** Resolves once the turn has wound down after its reply (the diff published, the run gone). */
async function idle(h: SessionHarness, sessionID: string): Promise<void> {
  await until(
    async () => !(await h.call('GET', '/session/status')).body[sessionID],
    5000,
    `session ${sessionID} to go idle`,
  )
}

/** A session of two turns: the first writes b.txt and edits a.txt, the second writes c.txt. */
async function twoTurns(h: SessionHarness): Promise<{ sessionID: string; ids: string[] }> {
  h.llm.script(
    {
      toolCalls: [
        { name: 'write', args: { filePath: 'b.txt', content: 'hello\n' } },
        { name: 'write', args: { filePath: 'a.txt', content: 'one\ntwo\n' } },
      ],
    },
    { text: 'Done.' },
    { toolCalls: [{ name: 'write', args: { filePath: 'c.txt', content: 'third\n' } }] },
    { text: 'More.' },
  )
  const sessionID = (await h.createSession()).id
  expect((await h.prompt(sessionID, 'first')).status).to.equal(200)
  expect((await h.prompt(sessionID, 'second')).status).to.equal(200)
  await idle(h, sessionID)
  const messages = (await h.call('GET', `/session/${sessionID}/message`)).body
  // One assistant message per step: user, tool step, answer; twice.
  expect(messages.map((m: any) => m.info.role)).to.deep.equal([
    'user',
    'assistant',
    'assistant',
    'user',
    'assistant',
    'assistant',
  ])
  return { sessionID, ids: messages.map((m: any) => m.info.id) }
}

const read = (h: SessionHarness, file: string) =>
  existsSync(join(h.repo, file)) ? readFileSync(join(h.repo, file), 'utf8') : undefined
const disk = (h: SessionHarness) => ({ a: read(h, 'a.txt'), b: read(h, 'b.txt'), c: read(h, 'c.txt') })
const AFTER_BOTH = { a: 'one\ntwo\n', b: 'hello\n', c: 'third\n' }
const revertEvents = (h: SessionHarness) => h.events.filter((e) => e.type.startsWith('session.next.revert.'))

describe('session: v2 revert staging', () => {
  let h: SessionHarness
  let client: ReturnType<typeof createOpencodeClient>
  beforeEach(async () => {
    h = await sessionHarness({ files: { 'a.txt': 'one\n' }, extraPlugins: ['snapshot', 'sync'] })
    client = createOpencodeClient({ baseUrl: await listen(h.server) })
  })
  afterEach(cleanup)

  it('stages a boundary (files after it restored, messages kept), moves it, and clears back', async () => {
    const { sessionID, ids } = await twoTurns(h)
    expect(disk(h)).to.deep.equal(AFTER_BOTH)

    const staged = (await client.v2.session.revert.stage({ sessionID, messageID: ids[3]! }, { throwOnError: true }))
      .data!
    expectMatchesReference('POST', '/api/session/{sessionID}/revert/stage', 200, staged)
    expect(disk(h)).to.deep.equal({ ...AFTER_BOTH, c: undefined })
    const first = staged.data
    expect(first.messageID).to.equal(ids[3])
    expect(first.snapshot).to.match(/^[0-9a-f]{40}$/)
    expect(first.files).to.have.length(1)
    expect(first.files![0]).to.deep.include({ path: 'c.txt', status: 'added', additions: 1, deletions: 0 })
    expect(first.files![0]!.patch).to.contain('+third')
    expect(first.diff).to.equal(first.files![0]!.patch)

    // The messages are all there, on both surfaces.
    expect((await h.call('GET', `/session/${sessionID}/message`)).body).to.have.length(6)
    const listed = (await client.v2.session.messages({ sessionID }, { throwOnError: true })).data!.data as any[]
    // Besides 2.1's `idle` entries, one per run.
    expect(listed.filter((message) => message.type !== 'idle')).to.have.length(6)
    // v2 shows the boundary; v1 shows its own meaning: reverted from the first message after it.
    const v2 = (await client.v2.session.get({ sessionID }, { throwOnError: true })).data!
    expectMatches21('GET', '/api/session/{sessionID}', 200, v2)
    // OpenCode 2.1's shape (canonical on this path): the boundary, the snapshot, the files as FileDiff.Info.
    expect(v2.data.revert).to.deep.equal({
      messageID: first.messageID,
      snapshot: first.snapshot,
      files: (first.files as any[]).map(({ path, ...rest }) => ({ file: path, ...rest })),
    })
    const v1 = (await h.call('GET', `/session/${sessionID}`)).body
    expectMatchesReference('GET', '/session/{sessionID}', 200, v1)
    expect(v1.revert).to.deep.equal({ messageID: ids[4], snapshot: first.snapshot, diff: first.diff })
    expect(h.events.filter((e) => e.type === 'session.updated').at(-1)!.properties).to.have.nested.property(
      'info.revert.messageID',
      ids[4],
    )

    // Moving the boundary back: a.txt and b.txt too; the first snapshot stays.
    const moved = (
      await client.v2.session.revert.stage({ sessionID, messageID: ids[0]!, files: true }, { throwOnError: true })
    ).data!.data
    expect(disk(h)).to.deep.equal({ a: 'one\n', b: undefined, c: undefined })
    expect(moved.messageID).to.equal(ids[0])
    expect(moved.snapshot).to.equal(first.snapshot)
    expect(moved.files!.map((file) => [file.path, file.status]).sort()).to.deep.equal([
      ['a.txt', 'modified'],
      ['b.txt', 'added'],
      ['c.txt', 'added'],
    ])

    const cleared = await client.v2.session.revert.clear({ sessionID })
    expect(cleared.response.status).to.equal(204)
    expect(disk(h)).to.deep.equal(AFTER_BOTH)
    expect((await client.v2.session.get({ sessionID }, { throwOnError: true })).data!.data.revert).to.equal(undefined)
    expect((await h.call('GET', `/session/${sessionID}`)).body.revert).to.equal(undefined)
    expect((await h.call('GET', `/session/${sessionID}/message`)).body).to.have.length(6)

    const events = revertEvents(h)
    expect(events.map((e) => e.type)).to.deep.equal([
      'session.next.revert.staged',
      'session.next.revert.staged',
      'session.next.revert.cleared',
    ])
    expect(events[0]!.properties).to.deep.include({ sessionID, revert: first })
    expect(events[1]!.properties).to.deep.include({ sessionID, revert: moved })
    expect(events[2]!.properties).to.have.keys('sessionID', 'timestamp')
    expect(events.every((e) => typeof e.properties.timestamp === 'number')).to.equal(true)
    // Durable: in the session's own log, as the bus published them.
    const log = (await h.call('POST', '/sync/history', {})).body.filter(
      (row: any) => row.aggregate_id === sessionID && row.type.startsWith('session.next.revert.'),
    )
    expect(log.map((row: any) => [row.id, row.type])).to.deep.equal(events.map((e) => [e.id, `${e.type}.1`]))
  })

  it('keeps the stage through a new prompt, then commits: later messages gone, boundary kept, files stay reverted', async () => {
    const { sessionID, ids } = await twoTurns(h)
    await client.v2.session.revert.stage({ sessionID, messageID: ids[2]! }, { throwOnError: true })
    expect(disk(h)).to.deep.equal({ ...AFTER_BOTH, c: undefined })

    // A prompt (v2 or v1) does not commit a v2-staged revert: nothing is dropped, the stage stays.
    h.llm.script({ text: 'Still here.' }, { text: 'Here too.' })
    await client.v2.session.prompt({ sessionID, prompt: { text: 'third' } }, { throwOnError: true })
    expect((await h.call('POST', `/api/session/${sessionID}/wait?timeout=10000`)).body.data.idle).to.equal(true)
    await idle(h, sessionID)
    expect((await h.prompt(sessionID, 'fourth')).status).to.equal(200)
    await idle(h, sessionID)
    expect((await h.call('GET', `/session/${sessionID}/message`)).body).to.have.length(10)
    expect((await client.v2.session.get({ sessionID }, { throwOnError: true })).data!.data.revert?.messageID).to.equal(
      ids[2],
    )

    const committed = await client.v2.session.revert.commit({ sessionID })
    expect(committed.response.status).to.equal(204)
    const v1 = (await h.call('GET', `/session/${sessionID}/message`)).body
    expect(v1.map((m: any) => m.info.id)).to.deep.equal(ids.slice(0, 3))
    const v2 = (await client.v2.session.messages({ sessionID, order: 'asc' }, { throwOnError: true })).data!
    const kept = (v2.data as any[]).filter((message) => message.type !== 'idle')
    expect(kept.map((message) => message.id)).to.deep.equal(ids.slice(0, 3))
    expect(disk(h)).to.deep.equal({ ...AFTER_BOTH, c: undefined })
    expect((await h.call('GET', `/session/${sessionID}`)).body.revert).to.equal(undefined)
    const removed = h.events.filter((e) => e.type === 'message.removed').map((e) => e.properties.messageID)
    expect(removed).to.have.length(7).and.not.include(ids[2])
    expect(revertEvents(h).at(-1)).to.deep.include({ type: 'session.next.revert.committed' })
    expect(revertEvents(h).at(-1)!.properties).to.deep.include({ sessionID, messageID: ids[2] })

    // Nothing staged: clear and commit are 204 and publish nothing.
    const before = revertEvents(h).length
    const updates = h.events.filter((e) => e.type === 'session.updated').length
    expect((await client.v2.session.revert.clear({ sessionID })).response.status).to.equal(204)
    expect((await client.v2.session.revert.commit({ sessionID })).response.status).to.equal(204)
    expect(revertEvents(h)).to.have.length(before)
    expect(h.events.filter((e) => e.type === 'session.updated')).to.have.length(updates)
    expect((await h.call('GET', `/session/${sessionID}/message`)).body).to.have.length(3)
    expect(disk(h)).to.deep.equal({ ...AFTER_BOTH, c: undefined })
  })

  it('with files: false moves only the boundary: diff "" and no files, nothing on disk touched', async () => {
    const { sessionID, ids } = await twoTurns(h)
    const staged = (
      await client.v2.session.revert.stage({ sessionID, messageID: ids[0]!, files: false }, { throwOnError: true })
    ).data!
    expectMatchesReference('POST', '/api/session/{sessionID}/revert/stage', 200, staged)
    expect(staged.data).to.deep.equal({ messageID: ids[0], diff: '', files: [] })
    expect(disk(h)).to.deep.equal(AFTER_BOTH)
    expect((await client.v2.session.revert.clear({ sessionID })).response.status).to.equal(204)
    expect(disk(h)).to.deep.equal(AFTER_BOTH)
    expect(revertEvents(h).map((e) => e.type)).to.deep.equal([
      'session.next.revert.staged',
      'session.next.revert.cleared',
    ])
  })

  it("clears with OpenCode 2.1's DELETE /api/session/:id/revert as with 1.18's POST …/revert/clear", async () => {
    const { sessionID, ids } = await twoTurns(h)
    await client.v2.session.revert.stage({ sessionID, messageID: ids[0]!, files: true }, { throwOnError: true })
    expect(disk(h)).to.deep.equal({ a: 'one\n', b: undefined, c: undefined })
    const cleared = await h.call('DELETE', `/api/session/${sessionID}/revert`)
    expect(cleared.status).to.equal(204)
    expect(disk(h)).to.deep.equal(AFTER_BOTH)
    expect((await h.call('GET', `/session/${sessionID}`)).body.revert).to.equal(undefined)
    // Nothing staged: 204, no event; an unknown session: 404.
    expect((await h.call('DELETE', `/api/session/${sessionID}/revert`)).status).to.equal(204)
    expect(revertEvents(h).map((e) => e.type)).to.deep.equal([
      'session.next.revert.staged',
      'session.next.revert.cleared',
    ])
    const unknown = await h.call('DELETE', '/api/session/ses_unknown/revert')
    expect(unknown.status).to.equal(404)
    expectMatches21('DELETE', '/api/session/{sessionID}/revert', 404, unknown.body)
  })

  it('stages at the last message with nothing after it: v1 sees no message reverted', async () => {
    const { sessionID, ids } = await twoTurns(h)
    const staged = (await client.v2.session.revert.stage({ sessionID, messageID: ids[5]! }, { throwOnError: true }))
      .data!.data
    expect(staged).to.deep.include({ messageID: ids[5], diff: '', files: [] })
    expect(disk(h)).to.deep.equal(AFTER_BOTH)
    const v1 = (await h.call('GET', `/session/${sessionID}`)).body
    expect(ids.every((id) => id < v1.revert.messageID)).to.equal(true)
  })

  it('interplays with v1: unrevert clears a v2 stage, and a v2 commit drops a v1 revert as its next prompt would', async () => {
    const { sessionID, ids } = await twoTurns(h)
    await client.v2.session.revert.stage({ sessionID, messageID: ids[2]! }, { throwOnError: true })
    const unreverted = await h.call('POST', `/session/${sessionID}/unrevert`)
    expect(unreverted.status).to.equal(200)
    expect(unreverted.body.revert).to.equal(undefined)
    expect(disk(h)).to.deep.equal(AFTER_BOTH)

    // A v1 revert hides the message it names: commit drops it and what follows.
    expect((await h.call('POST', `/session/${sessionID}/revert`, { messageID: ids[3] })).status).to.equal(200)
    expect(disk(h)).to.deep.equal({ ...AFTER_BOTH, c: undefined })
    expect((await client.v2.session.get({ sessionID }, { throwOnError: true })).data!.data.revert?.messageID).to.equal(
      ids[3],
    )
    expect((await client.v2.session.revert.commit({ sessionID })).response.status).to.equal(204)
    expect((await h.call('GET', `/session/${sessionID}/message`)).body.map((m: any) => m.info.id)).to.deep.equal(
      ids.slice(0, 3),
    )
    expect(disk(h)).to.deep.equal({ ...AFTER_BOTH, c: undefined })
  })

  it('answers tagged 404s, 400s and 409, and changes nothing', async () => {
    const { sessionID, ids } = await twoTurns(h)
    const url = `/api/session/${sessionID}/revert`
    const unchanged = async () => {
      expect(disk(h)).to.deep.equal(AFTER_BOTH)
      expect((await h.call('GET', `/session/${sessionID}`)).body.revert).to.equal(undefined)
      expect((await h.call('GET', `/session/${sessionID}/message`)).body).to.have.length(6)
      expect(revertEvents(h)).to.deep.equal([])
    }

    const unknownMessage = await h.call('POST', `${url}/stage`, { messageID: 'msg_unknown' })
    expect(unknownMessage.status).to.equal(404)
    expect(unknownMessage.body).to.deep.equal({
      _tag: 'MessageNotFoundError',
      sessionID,
      messageID: 'msg_unknown',
      message: 'Message not found: msg_unknown',
    })
    expectMatchesReference('POST', '/api/session/{sessionID}/revert/stage', 404, unknownMessage.body)

    for (const op of ['stage', 'clear', 'commit']) {
      const unknown = await h.call(
        'POST',
        `/api/session/ses_unknown/revert/${op}`,
        op === 'stage' ? { messageID: ids[0] } : undefined,
      )
      expect(unknown.status, op).to.equal(404)
      expect(unknown.body).to.deep.equal({
        _tag: 'SessionNotFoundError',
        sessionID: 'ses_unknown',
        message: 'Session not found: ses_unknown',
      })
      expectMatchesReference('POST', `/api/session/{sessionID}/revert/${op}`, 404, unknown.body)
    }

    for (const body of [{}, { messageID: 'nope' }, { messageID: ids[0], files: 'maybe' }, { messageID: 42 }, []]) {
      const bad = await h.call('POST', `${url}/stage`, body)
      expect(bad.status, JSON.stringify(body)).to.equal(400)
      expect(bad.body._tag).to.equal('InvalidRequestError')
      expectMatchesReference('POST', '/api/session/{sessionID}/revert/stage', 400, bad.body)
    }
    const notJson = await h.server.app.inject({
      method: 'POST',
      url: `${url}/stage`,
      headers: { 'content-type': 'application/json' },
      payload: '{"messageID":',
    })
    expect(notJson.statusCode).to.equal(400)
    expect(JSON.parse(notJson.body)._tag).to.equal('InvalidRequestError')
    await unchanged()

    // While a turn runs: 409 SessionBusyError for all three.
    h.llm.script({ text: 'slow', delayMs: 60_000 })
    const reply = h.prompt(sessionID, 'hold on')
    await h.llm.untilRequests(5)
    for (const op of ['stage', 'clear', 'commit']) {
      const busy = await h.call('POST', `${url}/${op}`, op === 'stage' ? { messageID: ids[0] } : undefined)
      expect(busy.status, op).to.equal(409)
      expect(busy.body).to.deep.equal({ _tag: 'SessionBusyError', sessionID, message: `Session is busy: ${sessionID}` })
    }
    await h.call('POST', `/session/${sessionID}/abort`)
    await reply
    expect(disk(h)).to.deep.equal(AFTER_BOTH)
    expect(revertEvents(h)).to.deep.equal([])
  })
})
