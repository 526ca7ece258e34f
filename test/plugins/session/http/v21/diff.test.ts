// OpenCode 2.1's `GET /api/session/:id/diff`: what the newest turn, one turn or a range of turns
// changed, from the step snapshots, with full-file patches unless `context` says otherwise.
import { expect } from 'chai'
import { cleanup } from '../../../../support/helper.js'
import { expectMatches21 } from '../../../../support/openapi.js'
import { sessionHarness, type SessionHarness } from '../../../../support/session.js'

describe('session: OpenCode 2.1 diff', () => {
  let h: SessionHarness
  let sessionID: string
  let users: string[]
  let assistant: string
  before(async () => {
    const lines = Array.from({ length: 20 }, (_, index) => `line ${index}`).join('\n') + '\n'
    h = await sessionHarness({ files: { 'a.txt': lines }, extraPlugins: ['snapshot'] })
    const created = await h.call('POST', '/api/session', { location: { directory: h.repo } })
    sessionID = created.body.data.id
    const turn = async (text: string, args: Record<string, string>) => {
      h.llm.script({ toolCalls: [{ name: 'write', args }] }, { text: 'Done.' })
      expect((await h.call('POST', `/api/session/${sessionID}/prompt`, { text })).status).to.equal(200)
      expect((await h.call('POST', `/api/experimental/session/${sessionID}/wait`)).status).to.equal(204)
    }
    await turn('one', { filePath: 'b.txt', content: 'b\n' })
    await turn('two', { filePath: 'a.txt', content: lines.replace('line 10', 'line ten') })
    const messages = (await h.call('GET', `/session/${sessionID}/message`)).body as {
      info: { id: string; role: string }
    }[]
    users = messages.filter((m) => m.info.role === 'user').map((m) => m.info.id)
    assistant = messages.find((m) => m.info.role === 'assistant')!.info.id
  })
  after(cleanup)

  const diff = (query = '') => h.call('GET', `/api/session/${sessionID}/diff${query}`)

  it('diffs the newest turn by default, with whole-file patches', async () => {
    const answer = await diff()
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200)
    expectMatches21('GET', '/api/session/{sessionID}/diff', 200, answer.body)
    expect(answer.body.data.map((d: { file: string }) => d.file)).to.deep.equal(['a.txt'])
    const [a] = answer.body.data
    expect(a).to.deep.include({ additions: 1, deletions: 1, status: 'modified' })
    expect(a.patch).to.include(' line 0\n').and.include(' line 19\n').and.include('+line ten')
  })

  it('narrows the context with `context`, and spans turns with `from`/`to`', async () => {
    const narrow = (await diff('?context=1')).body.data[0].patch as string
    expect(narrow).to.include(' line 9\n-line 10\n+line ten\n line 11\n')
    expect(narrow).to.not.include(' line 0\n')
    const first = await diff(`?from=${users[0]}`)
    expect(first.body.data.map((d: { file: string }) => d.file)).to.deep.equal(['b.txt'])
    expect(first.body.data[0]).to.deep.include({ status: 'added', additions: 1 })
    const both = await diff(`?from=${users[0]}&to=${users[1]}`)
    expectMatches21('GET', '/api/session/{sessionID}/diff', 200, both.body)
    expect(both.body.data.map((d: { file: string }) => d.file).sort()).to.deep.equal(['a.txt', 'b.txt'])
  })

  it('answers a precise 400 for a non-user `from` or bad query, 404 for unknown ids', async () => {
    const notUser = await diff(`?from=${assistant}`)
    expect(notUser.status).to.equal(400)
    expectMatches21('GET', '/api/session/{sessionID}/diff', 400, notUser.body)
    expect(notUser.body).to.deep.include({
      _tag: 'InvalidRequestError',
      message: `Message ${assistant} is not a user message`,
      field: 'from',
    })
    expect((await diff(`?from=${users[1]}&to=${users[0]}`)).body).to.deep.include({ field: 'to' })
    for (const query of ['?context=lots', '?from=nope', '?context=-1']) {
      const answer = await diff(query)
      expect(answer.status, query).to.equal(400)
      expect(answer.body._tag).to.equal('InvalidRequestError')
    }
    const unknownMessage = await diff('?from=msg_nope')
    expect(unknownMessage.status).to.equal(404)
    expect(unknownMessage.body).to.deep.include({ _tag: 'MessageNotFoundError', messageID: 'msg_nope' })
    const unknown = await h.call('GET', '/api/session/ses_nope/diff')
    expect(unknown.status).to.equal(404)
    expectMatches21('GET', '/api/session/{sessionID}/diff', 404, unknown.body)
  })
})
