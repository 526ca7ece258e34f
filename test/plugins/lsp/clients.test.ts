import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PACKAGE_ROOT } from '../../../kernel/core/version.js'
import { cleanup } from '../../support/helper.js'
import { expectMatchesReference } from '../../support/openapi.js'
import { sessionHarness, until } from '../../support/session.js'

const FIXTURE = join(PACKAGE_ROOT, 'dist', 'test', 'fixtures', 'lsp', 'server.js')

function lspHarness(extra: Record<string, unknown> = {}) {
  return sessionHarness({
    extraPlugins: ['lsp', 'file'],
    config: { lsp: { fixture: { command: [process.execPath, FIXTURE], extensions: ['.fx'], ...extra } } },
  })
}

describe('plugin: lsp (clients)', () => {
  afterEach(cleanup)

  it('starts the server for an edited file and gives the model its errors; answers workspace symbols', async () => {
    const h = await lspHarness()
    expect((await h.call('GET', '/lsp')).body).to.deep.equal([])
    const before = (await h.call('GET', '/lsp?all=true')).body.find((s: any) => s.id === 'fixture')
    expect(before.status).to.equal('available')
    h.llm.script(
      {
        toolCalls: [
          { name: 'write', args: { filePath: 'a.fx', content: 'function greet() {}\nlet x = ERROR\nWARN only\n' } },
          { name: 'write', args: { filePath: 'b.txt', content: 'ERROR but not handled\n' } },
        ],
      },
      { toolCalls: [{ name: 'edit', args: { filePath: 'a.fx', oldString: 'let x = ERROR', newString: 'let x = 1' } }] },
      { text: 'Fixed.' },
    )
    const session = await h.createSession()
    await h.prompt(session.id, 'write code')
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    const [write, other] = messages[1].parts.filter((p: any) => p.type === 'tool')
    expect(write.state.output)
      .to.contain('This file has errors, please fix')
      .and.contain('<diagnostics file="a.fx">')
      .and.contain('ERROR [2:9] found ERROR: let x = ERROR')
    expect(write.state.output).not.to.contain('a warning')
    expect(other.state.output).not.to.contain('errors')
    const [edit] = messages[2].parts.filter((p: any) => p.type === 'tool')
    expect(edit.state.status).to.equal('completed')
    expect(edit.state.output).not.to.contain('This file has errors')
    // The model saw the errors.
    expect(JSON.stringify(h.llm.requests[1]!.body.messages)).to.contain('found ERROR')

    const running = (await h.call('GET', '/lsp')).body
    expectMatchesReference('GET', '/lsp', 200, running)
    expect(running).to.deep.equal([{ id: 'fixture', name: 'fixture', root: h.repo, status: 'connected' }])
    expect((await h.call('GET', '/lsp?all=true')).body.find((s: any) => s.id === 'fixture').status).to.equal(
      'connected',
    )
    const symbols = (await h.call('GET', '/find/symbol?query=gre')).body
    expect(symbols).to.have.length(1)
    expect(symbols[0]).to.deep.include({ name: 'greet', kind: 12 })
    expect(symbols[0].location.uri).to.equal(`file://${join(h.repo, 'a.fx')}`)
    expect(symbols[0]).not.to.have.property('containerName')
    expect((await h.call('GET', '/find/symbol?query=nothing')).body).to.deep.equal([])

    // Disposing the instance stops its servers.
    await h.call('POST', '/instance/dispose')
    expect((await h.call('GET', '/lsp')).body).to.deep.equal([])
    expect((await h.call('GET', '/lsp?all=true')).body.find((s: any) => s.id === 'fixture').status).to.equal(
      'available',
    )
    expect((await h.call('GET', '/find/symbol?query=gre')).body).to.deep.equal([])
  })

  it('reports a server that cannot start as error, without holding up the edit', async () => {
    const h = await sessionHarness({
      extraPlugins: ['lsp'],
      config: { lsp: { broken: { command: [process.execPath, '-e', 'process.exit(3)'], extensions: ['.fx'] } } },
    })
    h.llm.script({ toolCalls: [{ name: 'write', args: { filePath: 'a.fx', content: 'ERROR\n' } }] }, { text: 'ok' })
    const session = await h.createSession()
    await h.prompt(session.id, 'write')
    const [write] = (await h.call('GET', `/session/${session.id}/message`)).body[1].parts.filter(
      (p: any) => p.type === 'tool',
    )
    expect(write.state.status).to.equal('completed')
    expect(write.state.time.end - write.state.time.start).to.be.below(5000)
    const listed = (await h.call('GET', '/lsp')).body
    expectMatchesReference('GET', '/lsp', 200, listed)
    expect(listed).to.deep.equal([{ id: 'broken', name: 'broken', root: h.repo, status: 'error' }])
    const broken = (await h.call('GET', '/lsp?all=true')).body.find((s: any) => s.id === 'broken')
    expect(broken).to.include({ status: 'error', attempts: 1 })
    expect(broken.error).to.match(/exited \(code 3\) before it initialized/)
    expect(broken.retryAt).to.be.above(write.state.time.start)
  })

  it('starts a server that failed again on an edit after its backoff, and shows it connected', async function () {
    this.timeout(30_000)
    const fixture = pathToFileURL(FIXTURE).href
    // Fails until a file `ready` exists in the worktree (its working directory).
    const command = [
      process.execPath,
      '-e',
      `if (!require('fs').existsSync('ready')) process.exit(3); import(${JSON.stringify(fixture)})`,
    ]
    const h = await sessionHarness({
      extraPlugins: ['lsp'],
      config: { lsp: { flaky: { command, extensions: ['.fx'] } } },
    })
    h.llm.script(
      { toolCalls: [{ name: 'write', args: { filePath: 'a.fx', content: 'ERROR one\n' } }] },
      { text: 'ok' },
      { toolCalls: [{ name: 'write', args: { filePath: 'a.fx', content: 'ERROR two\n' } }] },
      { text: 'ok' },
    )
    const session = await h.createSession()
    await h.prompt(session.id, 'write')
    const failed = (await h.call('GET', '/lsp?all=true')).body.find((s: any) => s.id === 'flaky')
    expect(failed).to.include({ status: 'error', attempts: 1 })

    writeFileSync(join(h.repo, 'ready'), '')
    await until(() => Date.now() > failed.retryAt, 10_000, 'the backoff to pass')
    await h.prompt(session.id, 'write again')
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    const writes = messages.flatMap((m: any) => m.parts).filter((p: any) => p.type === 'tool')
    expect(writes).to.have.length(2)
    expect(writes[0].state.output).not.to.contain('found ERROR')
    expect(writes[1].state.output).to.contain('found ERROR: ERROR two')
    const connected = (await h.call('GET', '/lsp?all=true')).body.find((s: any) => s.id === 'flaky')
    expect(connected.status).to.equal('connected')
    expect(connected).not.to.have.property('retryAt')
    expect(h.server.kernel.processes.list().map((p) => p.label)).to.include('lsp flaky')
  })
})
