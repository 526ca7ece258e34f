import { expect } from 'chai'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../kernel/core/version.js'
import { cleanup, gitRepo, startServer } from '../support/helper.js'
import { sessionHarness } from '../support/session.js'

describe('examples/word-count (a community tool plugin)', () => {
  afterEach(cleanup)

  it('gives the model a tool that counts a project file, and refuses files outside', async () => {
    const h = await sessionHarness({
      files: { 'notes.txt': 'one two three\nfour five\n' },
      plugins: [join(PACKAGE_ROOT, 'dist/examples/word-count/index.js')],
    })
    expect((await h.call('GET', '/experimental/tool/ids')).body).to.include('word_count')
    h.llm.script(
      {
        toolCalls: [
          { name: 'word_count', args: { filePath: 'notes.txt' } },
          { name: 'word_count', args: { filePath: '../../etc/passwd' } },
        ],
      },
      { text: 'Counted.' },
    )
    const session = await h.createSession()
    await h.prompt(session.id, 'count the words')
    const [counted, outside] = (await h.call('GET', `/session/${session.id}/message`)).body[1].parts.filter(
      (p: any) => p.type === 'tool',
    )
    expect(counted.state.output).to.equal('notes.txt: 2 lines, 5 words, 24 characters')
    expect(counted.state.metadata).to.deep.equal({ lines: 2, words: 5, characters: 24 })
    expect(outside.state.status).to.equal('error')
    expect(outside.state.error).to.contain('No such file in the project')
  })

  it('serves clients an RPC counting a project file, with a declared error for files it cannot count', async () => {
    const project = gitRepo({ 'notes.txt': 'one two three\nfour five\n' })
    const server = await startServer({
      cwd: project,
      only: ['plugin'],
      plugins: [join(PACKAGE_ROOT, 'dist/examples/word-count/index.js')],
    })
    const count = (input: unknown) =>
      server.app.inject({ method: 'POST', url: '/api/rpc/word-count/count', payload: { input } })
    const counted = await count({ path: 'notes.txt' })
    expect(counted.json()).to.deep.equal({ output: { lines: 2, words: 5, characters: 24 } })
    const outside = await count({ path: '../../etc/passwd' })
    expect(outside.statusCode).to.equal(400)
    expect(outside.json()).to.deep.equal({
      _tag: 'RpcError',
      type: 'word-count.not-found',
      message: 'No such file in the project: ../../etc/passwd',
      data: { path: '../../etc/passwd' },
    })
    expect((await count({ file: 'notes.txt' })).json()).to.include({ type: 'rpc.invalid_input' })
  })
})
