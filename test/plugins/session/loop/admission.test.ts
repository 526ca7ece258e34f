import { expect } from 'chai'
import { cleanup } from '../../../support/helper.js'
import type { RecordedRequest } from '../../../support/llm.js'
import { sessionHarness, type SessionHarness } from '../../../support/session.js'

const textOf = (message: any): string =>
  message.parts
    .filter((p: any) => p.type === 'text')
    .map((p: any) => p.text)
    .join('')

/** The texts of the user messages a model call ends with (its trailing run of user messages). */
function trailingPrompts(request: RecordedRequest): string[] {
  const messages = request.body.messages
  const out: string[] = []
  for (let i = messages.length - 1; i >= 0 && messages[i]!.role === 'user'; i--) {
    const content = messages[i]!.content
    out.unshift(
      typeof content === 'string' ? content : (content as { text?: string }[]).map((c) => c.text ?? '').join(''),
    )
  }
  return out
}

/**
 * Sends `prompts` in parallel to one session and checks the conversation: ids sort in list
 * order, every reply follows the prompt(s) it answers and names the newest as parent, each POST
 * got the first reply after its prompt, and every model call ended with prompts nobody else's
 * call ended with.
 */
async function promptInParallel(h: SessionHarness, sessionID: string, prompts: string[]): Promise<any[]> {
  const replies = await Promise.all(prompts.map((text) => h.prompt(sessionID, text)))
  for (const reply of replies) expect(reply.status, JSON.stringify(reply.body)).to.equal(200)
  const messages = (await h.call('GET', `/session/${sessionID}/message`)).body as any[]
  const ids = messages.map((m) => m.info.id)
  expect(ids).to.deep.equal([...ids].sort())

  const users = messages.filter((m) => m.info.role === 'user')
  expect(users.map(textOf).sort()).to.deep.equal([...prompts].sort())
  expect(messages.at(-1).info.role).to.equal('assistant')
  let newestUser: string | undefined
  for (const message of messages) {
    if (message.info.role === 'user') newestUser = message.info.id
    else {
      expect(message.info.parentID).to.equal(newestUser)
      expect(message.info.error).to.equal(undefined)
    }
  }
  prompts.forEach((text, i) => {
    const at = messages.findIndex((m) => m.info.role === 'user' && textOf(m) === text)
    const answer = messages.slice(at).find((m) => m.info.role === 'assistant')
    expect(replies[i]!.body.info.id, `reply to ${text}`).to.equal(answer.info.id)
  })
  return messages
}

/** Checks the model calls of one session: each ended with its own, unanswered prompts. */
function expectEachCallEndsWithOwnPrompts(requests: RecordedRequest[], prompts: string[]): void {
  const answered: string[] = []
  for (const request of requests) {
    const trailing = trailingPrompts(request)
    expect(trailing, JSON.stringify(request.body.messages.map((m) => m.role))).to.not.be.empty
    for (const text of trailing) {
      expect(prompts).to.include(text)
      expect(answered, `${text} answered twice`).to.not.include(text)
      answered.push(text)
    }
  }
  expect(answered.sort()).to.deep.equal([...prompts].sort())
}

describe('plugin: session (prompt admission)', () => {
  afterEach(cleanup)

  it('answers five parallel prompts in order: each reply follows its prompts and each model call ends with them', async () => {
    const h = await sessionHarness()
    for (let i = 0; i < 5; i++) h.llm.script({ text: ['re', 'ply'], delayMs: 20 })
    const session = await h.createSession()
    const prompts = ['p0', 'p1', 'p2', 'p3', 'p4']
    await promptInParallel(h, session.id, prompts)
    expectEachCallEndsWithOwnPrompts(h.llm.requests, prompts)
    expect((await h.call('GET', '/session/status')).body).to.deep.equal({})
  })

  it('lets prompts sent during a reply join the next turn together, never the model call under way', async () => {
    const h = await sessionHarness()
    h.llm.script({ text: ['slow', 'ly'], delayMs: 150 }, { text: 'both' })
    const session = await h.createSession()
    const first = h.prompt(session.id, 'p0')
    await h.llm.untilRequests(1)
    const later = [h.prompt(session.id, 'p1'), h.prompt(session.id, 'p2')]
    const listed = (await h.call('GET', `/session/${session.id}/message`)).body
    const [r0, r1, r2] = await Promise.all([first, ...later])

    expect(h.llm.requests).to.have.length(2)
    expect(trailingPrompts(h.llm.requests[0]!)).to.deep.equal(['p0'])
    expect(trailingPrompts(h.llm.requests[1]!)).to.deep.equal(['p1', 'p2'])
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(messages.map((m: any) => (m.info.role === 'user' ? textOf(m) : m.info.role))).to.deep.equal([
      'p0',
      'assistant',
      'p1',
      'p2',
      'assistant',
    ])
    expect(r0!.body.info.id).to.equal(messages[1].info.id)
    expect(r1!.body.info.id).to.equal(messages[4].info.id)
    expect(r2!.body.info.id).to.equal(messages[4].info.id)
    expect(messages[4].info.parentID).to.equal(messages[3].info.id)
    // The running turn's reply existed before the waiting prompts were stored (a client sees them queued after it).
    expect(listed.map((m: any) => m.info.role)).to.deep.equal(
      ['user', 'assistant', 'user', 'user'].slice(0, listed.length),
    )
  })

  it('lets a prompt sent while a tool runs join at the next step, after the tool result', async () => {
    const h = await sessionHarness({ files: { 'a.txt': 'alpha\n' } })
    h.llm.script(
      { toolCalls: [{ name: 'read', args: { filePath: 'a.txt' } }], delayMs: 150 },
      { text: 'Read it, and noted.' },
    )
    const session = await h.createSession()
    const first = h.prompt(session.id, 'read a.txt')
    await h.llm.untilRequests(1)
    const second = h.prompt(session.id, 'and then stop')
    const [r0, r1] = await Promise.all([first, second])

    expect(h.llm.requests).to.have.length(2)
    const roles = h.llm.requests[1]!.body.messages.map((m) => m.role)
    expect(roles.slice(-4)).to.deep.equal(['user', 'assistant', 'tool', 'user'])
    expect(trailingPrompts(h.llm.requests[1]!)).to.deep.equal(['and then stop'])
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(messages.map((m: any) => (m.info.role === 'user' ? textOf(m) : m.info.finish))).to.deep.equal([
      'read a.txt',
      'tool-calls',
      'and then stop',
      'stop',
    ])
    expect(messages[3].info.parentID).to.equal(messages[2].info.id)
    // Both callers waited for the same turn, which ended with the last reply.
    expect(r0!.body.info.id).to.equal(messages[3].info.id)
    expect(r1!.body.info.id).to.equal(messages[3].info.id)
  })

  it('keeps a noReply prompt sent while busy in the conversation without starting a turn for it', async () => {
    const h = await sessionHarness()
    h.llm.script({ text: ['slow', 'ly'], delayMs: 100 })
    const session = await h.createSession()
    const first = h.prompt(session.id, 'p0')
    await h.llm.untilRequests(1)
    const note = await h.prompt(session.id, 'just a note', { noReply: true })
    expect(note.status).to.equal(200)
    expect(note.body.info.role).to.equal('user')
    expect((await first).status).to.equal(200)
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(messages.map((m: any) => m.info.role)).to.deep.equal(['user', 'assistant', 'user'])
    expect(h.llm.requests).to.have.length(1)
  })

  it('gives a subtask command sent while busy a turn of its own, its prompt stored when that turn starts', async () => {
    const h = await sessionHarness({
      config: {
        command: {
          research: { template: 'Find out about $ARGUMENTS', agent: 'general', subtask: true, description: 'research' },
        },
      },
    })
    h.llm.script({ text: ['slow', 'ly'], delayMs: 150 }, { text: 'The child found 42.' }, { text: 'The answer is 42.' })
    const session = await h.createSession()
    const first = h.prompt(session.id, 'p0')
    await h.llm.untilRequests(1)
    const command = h.call('POST', `/session/${session.id}/command`, { command: 'research', arguments: 'the answer' })
    await new Promise((resolve) => setTimeout(resolve, 50))
    // Not stored yet: it waits for its turn rather than sorting before the running reply.
    expect((await h.call('GET', `/session/${session.id}/message`)).body).to.have.length(2)
    const [r0, r1] = await Promise.all([first, command])
    expect(r0.body.parts.find((p: any) => p.type === 'text').text).to.equal('slowly')
    expect(r1.status).to.equal(200)
    expect(r1.body.parts.find((p: any) => p.type === 'text').text).to.equal('The answer is 42.')

    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    const ids = messages.map((m: any) => m.info.id)
    expect(ids).to.deep.equal([...ids].sort())
    expect(messages.map((m: any) => m.info.role)).to.deep.equal(['user', 'assistant', 'user', 'assistant', 'assistant'])
    expect(messages[2].parts[0]).to.include({ type: 'subtask', command: 'research' })
    expect(messages[2].parts.every((p: any) => p.messageID === messages[2].info.id)).to.equal(true)
    expect(messages[3].info.parentID).to.equal(messages[2].info.id)
    expect(messages[4].info.parentID).to.equal(messages[2].info.id)
  })

  it('keeps 20 sessions × 5 parallel prompts in order, answered once each', async function () {
    this.timeout(60_000)
    const h = await sessionHarness()
    for (let i = 0; i < 100; i++) h.llm.script({ text: ['re', 'ply'], delayMs: 5 })
    const sessions = await Promise.all(Array.from({ length: 20 }, () => h.createSession()))
    const prompts = (s: number) => Array.from({ length: 5 }, (_, j) => `s${s}-p${j}`)
    await Promise.all(sessions.map((session, s) => promptInParallel(h, session.id, prompts(s))))
    for (let s = 0; s < 20; s++) {
      const own = h.llm.requests.filter((r) => JSON.stringify(r.body.messages).includes(`"s${s}-p`))
      expectEachCallEndsWithOwnPrompts(own, prompts(s))
    }
    expect((await h.call('GET', '/session/status')).body).to.deep.equal({})
  })
})
