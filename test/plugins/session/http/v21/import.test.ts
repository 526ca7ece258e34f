// OpenCode 2.1's `POST /api/experimental/session/import`: 2.1 and 1.x exports become stored sessions.
import { expect } from 'chai'
import { cleanup } from '../../../../support/helper.js'
import { expectMatches21 } from '../../../../support/openapi.js'
import { sessionHarness, type SessionHarness } from '../../../../support/session.js'

const IMPORT = '/api/experimental/session/import'

/** `id` with its last two characters set to `tag`: a fresh id of the same shape and order. */
function renamed(id: string, tag = 'v2'): string {
  return `${id.slice(0, -2)}${tag}`
}

describe('session: OpenCode 2.1 import', () => {
  let h: SessionHarness
  let exported: { info: Record<string, any>; messages: Record<string, any>[] }
  let sessionID: string

  before(async () => {
    h = await sessionHarness({})
    const created = await h.call('POST', '/api/session', { location: { directory: h.repo }, title: 'to move' })
    sessionID = created.body.data.id
    h.llm.script(
      { text: 'Writing it.', toolCalls: [{ name: 'write', args: { filePath: 'a.txt', content: 'one\n' } }] },
      { text: 'Done.' },
    )
    expect((await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'write a.txt' })).status).to.equal(200)
    expect((await h.call('POST', `/api/experimental/session/${sessionID}/wait`)).status).to.equal(204)
    exported = (await h.call('GET', `/api/experimental/session/${sessionID}/export`)).body.data
  })
  after(cleanup)

  it('imports a 2.1 export under its ids: the transcript reads back as it was exported', async () => {
    // The original stays; the copy takes new ids (as moving an export to another server keeps them).
    const ids = new Map(exported.messages.map((m) => [m.id, renamed(m.id)]))
    const info = { ...exported.info, id: renamed(sessionID) }
    const messages: Record<string, any>[] = exported.messages.map((m) => ({ ...m, id: ids.get(m.id) }))
    const answer = await h.call('POST', IMPORT, { info, messages })
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200)
    expectMatches21('POST', IMPORT, 200, answer.body)
    expect(answer.body.data).to.include({ id: info.id, title: 'to move', cost: exported.info.cost })
    expect(answer.body.data.location).to.deep.equal({ directory: h.repo })

    const again = (await h.call('GET', `/api/experimental/session/${info.id}/export`)).body.data
    expect(again.info).to.deep.equal({ ...exported.info, id: info.id })
    expect(again.messages).to.deep.equal(messages)
    expect(messages.map((m) => m.type)).to.deep.equal(['user', 'assistant', 'assistant', 'idle'])

    // v1 clients read the same conversation: the tool call and both answers.
    const v1 = await h.call('GET', `/session/${info.id}/message`)
    expect(v1.status).to.equal(200)
    const tools = v1.body.flatMap((m: any) => m.parts.filter((p: any) => p.type === 'tool'))
    expect(tools.map((p: any) => [p.tool, p.state.status])).to.deep.equal([['write', 'completed']])

    // The imported session goes on: its history reaches the model.
    h.llm.script({ text: 'Continued.' })
    expect((await h.call('POST', `/api/session/${info.id}/prompt`, { text: 'and now?' })).status).to.equal(200)
    expect((await h.call('POST', `/api/experimental/session/${info.id}/wait`)).status).to.equal(204)
    const sent = JSON.stringify(h.llm.requests.at(-1)!.body.messages)
    expect(sent).to.include('write a.txt').and.include('Done.').and.include('and now?')
  })

  it('imports a 1.x export (`{info, messages:[{info, parts}]}`) with its ids', async () => {
    const v1Info = (await h.call('GET', `/session/${sessionID}`)).body
    const v1Messages = (await h.call('GET', `/session/${sessionID}/message`)).body
    const id = renamed(sessionID, 'v1')
    const ids = new Map(v1Messages.map((m: any) => [m.info.id, renamed(m.info.id, 'v1')]))
    const messages = v1Messages.map((m: any) => ({
      info: { ...m.info, id: ids.get(m.info.id), ...(m.info.parentID ? { parentID: ids.get(m.info.parentID) } : {}) },
      parts: m.parts,
    }))
    const answer = await h.call('POST', IMPORT, { info: { ...v1Info, id }, messages })
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200)
    expectMatches21('POST', IMPORT, 200, answer.body)
    const read = (await h.call('GET', `/session/${id}/message`)).body
    expect(read.map((m: any) => m.info.id)).to.deep.equal([...ids.values()])
    expect(read.map((m: any) => m.parts.map((p: any) => p.type))).to.deep.equal(
      v1Messages.map((m: any) => m.parts.map((p: any) => p.type)),
    )
    expect((await h.call('GET', `/session/${id}`)).body).to.include({ title: 'to move', directory: h.repo })
  })

  it('answers 409 for a session or message id already stored, and stores nothing', async () => {
    const sessions = (await h.call('GET', '/session')).body.length
    const same = await h.call('POST', IMPORT, exported)
    expect(same.status).to.equal(409)
    expectMatches21('POST', IMPORT, 409, same.body)
    expect(same.body).to.include({ _tag: 'ConflictError', resource: sessionID })

    // Only the session id changed (2.1.2 answers an empty 500 here).
    const reused = await h.call('POST', IMPORT, { ...exported, info: { ...exported.info, id: 'ses_fresh1' } })
    expect(reused.status).to.equal(409)
    expect(reused.body.resource).to.equal(exported.messages[0]!.id)
    expect((await h.call('GET', '/api/session/ses_fresh1')).status).to.equal(404)
    expect((await h.call('GET', '/session')).body.length).to.equal(sessions)
  })

  it('rejects bad transcripts with a precise 400 and an unknown parent with 404, storing nothing', async () => {
    const fresh = { ...exported.info, id: 'ses_bad1' }
    const cases: [unknown, string][] = [
      [{ info: { ...fresh, id: 'nope' }, messages: [] }, 'info.id'],
      [{ info: { ...fresh, cost: 'free' }, messages: [] }, 'info'],
      [{ info: fresh, messages: [{ id: 'msg_x1', type: 'poem', time: { created: 1 } }] }, 'messages[0]'],
      [{ info: fresh, messages: [{ id: 'msg_x1', type: 'user', time: { created: 1 } }] }, 'messages[0]'],
      [{ info: fresh, messages: [{ ...exported.messages[1], id: 'bad id' }] }, 'messages[0]'],
      [{ info: fresh, messages: [], location: { directory: 'relative/dir' } }, 'location'],
    ]
    for (const [body, field] of cases) {
      const answer = await h.call('POST', IMPORT, body)
      expect(answer.status, `${field}: ${JSON.stringify(answer.body)}`).to.equal(400)
      expectMatches21('POST', IMPORT, 400, answer.body)
      expect(answer.body.field).to.equal(field)
    }
    const orphan = await h.call('POST', IMPORT, { info: { ...fresh, parentID: 'ses_missing' }, messages: [] })
    expect(orphan.status).to.equal(404)
    expectMatches21('POST', IMPORT, 404, orphan.body)
    expect((await h.call('GET', '/api/session/ses_bad1')).status).to.equal(404)
  })

  it('imports a child under its parent, and a sanitized export at the requested location', async () => {
    const child = await h.call('POST', IMPORT, {
      info: { ...exported.info, id: 'ses_child1', parentID: sessionID, title: 'child' },
      messages: [],
    })
    expect(child.status, JSON.stringify(child.body)).to.equal(200)
    expect(child.body.data.parentID).to.equal(sessionID)

    const sanitized = (await h.call('GET', `/api/experimental/session/${sessionID}/export?sanitize=true`)).body.data
    const placed = await h.call('POST', IMPORT, {
      info: { ...sanitized.info, id: 'ses_sanitized1' },
      messages: [],
      location: { directory: h.repo },
    })
    expect(placed.status, JSON.stringify(placed.body)).to.equal(200)
    expect(placed.body.data.location).to.deep.equal({ directory: h.repo })
  })
})
