import { expect } from 'chai'
import { cleanup } from '../../support/helper.js'
import { expectMatchesReference } from '../../support/openapi.js'
import { sessionHarness, until } from '../../support/session.js'

const TODOS = [
  { content: 'Write the parser', status: 'in_progress', priority: 'high', id: 't1' },
  { content: 'Test it', status: 'pending', priority: 'medium' },
]

describe('plugin: todo', () => {
  afterEach(cleanup)

  it('todowrite stores the list, publishes todo.updated, and todoread returns it', async () => {
    const h = await sessionHarness()
    h.llm.script(
      { toolCalls: [{ name: 'todowrite', args: { todos: TODOS } }] },
      { toolCalls: [{ name: 'todoread', args: {} }] },
      { text: 'planned' },
    )
    const session = await h.createSession()
    expect((await h.call('GET', `/session/${session.id}/todo`)).body).to.deep.equal([])
    expect((await h.prompt(session.id, 'plan it')).status).to.equal(200)

    const todos = (await h.call('GET', `/session/${session.id}/todo`)).body
    // OpenCode 1.18's Todo is exactly {content, status, priority}: an id the model sent is not kept.
    const { id: _dropped, ...first } = TODOS[0]!
    expect(todos).to.deep.equal([first, TODOS[1]])
    expectMatchesReference('GET', '/session/{sessionID}/todo', 200, todos)
    const updated = h.events.filter((e) => e.type === 'todo.updated')
    expect(updated).to.have.length(1)
    expect(updated[0]!.properties).to.deep.equal({ sessionID: session.id, todos })

    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    const write = messages[1].parts.find((p: any) => p.type === 'tool').state
    expect(write).to.include({ status: 'completed', title: '2 todos' })
    const read = messages[2].parts.find((p: any) => p.type === 'tool').state
    expect(JSON.parse(read.output)).to.deep.equal(todos)
  })

  it('rejects malformed todos as a tool error the model sees, leaving the list alone', async () => {
    const h = await sessionHarness()
    h.llm.script(
      { toolCalls: [{ name: 'todowrite', args: { todos: [{ content: 'x', status: 'someday', priority: 'high' }] } }] },
      { text: 'oops' },
    )
    const session = await h.createSession()
    await h.prompt(session.id, 'plan it')
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(messages[1].parts.find((p: any) => p.type === 'tool').state.status).to.equal('error')
    expect((await h.call('GET', `/session/${session.id}/todo`)).body).to.deep.equal([])
  })

  it('answers the list while the session is busy, 404 for unknown or deleted sessions, 400 for bad ids', async () => {
    const h = await sessionHarness()
    h.llm.script({ toolCalls: [{ name: 'todowrite', args: { todos: TODOS } }] }, { text: 'slow', delayMs: 60_000 })
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'plan it')
    await until(() => h.events.some((e) => e.type === 'todo.updated'), 5000, 'todo.updated')
    await h.llm.untilRequests(2)
    expect((await h.call('GET', '/session/status')).body[session.id].type).to.equal('busy')
    expect((await h.call('GET', `/session/${session.id}/todo`)).body).to.have.length(2)
    await h.call('POST', `/session/${session.id}/abort`)
    await reply
    expect((await h.call('GET', `/session/${session.id}/todo`)).body).to.have.length(2)

    expect((await h.call('GET', '/session/ses_unknown/todo')).status).to.equal(404)
    expect((await h.call('GET', '/session/nope/todo')).status).to.equal(400)
    await h.call('DELETE', `/session/${session.id}`)
    expect((await h.call('GET', `/session/${session.id}/todo`)).status).to.equal(404)
    const rows = h.server.kernel.storage.db.prepare('SELECT count(*) AS n FROM todo').get() as { n: number }
    expect(rows.n).to.equal(0)
  })

  it('answers in every session state: new, reverted, unreverted, forked, compacted, shared', async () => {
    const h = await sessionHarness({ extraPlugins: ['snapshot', 'share'] })
    const session = await h.createSession()
    const todo = async (id = session.id) => (await h.call('GET', `/session/${id}/todo`)).body
    expect(await todo()).to.deep.equal([])

    h.llm.script({ toolCalls: [{ name: 'todowrite', args: { todos: TODOS } }] }, { text: 'Planned.' })
    await h.prompt(session.id, 'plan it')
    const [first] = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(await todo()).to.have.length(2)

    expect((await h.call('POST', `/session/${session.id}/revert`, { messageID: first.info.id })).status).to.equal(200)
    expect(await todo()).to.have.length(2)
    expect((await h.call('POST', `/session/${session.id}/unrevert`)).status).to.equal(200)
    expect(await todo()).to.have.length(2)

    // A fork copies messages, not the todo list.
    const fork = (await h.call('POST', `/session/${session.id}/fork`, {})).body
    expect(await todo(fork.id)).to.deep.equal([])

    h.llm.script({ text: 'Summary.' })
    expect(
      (await h.call('POST', `/session/${session.id}/summarize`, { providerID: 'scripted', modelID: 'test-model' }))
        .status,
    ).to.equal(200)
    expect((await h.call('POST', `/session/${session.id}/share`)).status).to.equal(200)
    expect(await todo()).to.have.length(2)
  })
})
