// The session operations driven by the official client (`@opencode-ai/sdk/v2`) over real HTTP.
import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ascendingId } from '../../../kernel/core/ids.js'
import { cleanup, listen } from '../../support/helper.js'
import { sessionHarness } from '../../support/session.js'

describe('plugin: session operations with the official client', () => {
  afterEach(cleanup)

  it('shell, command, init, diff, revert, unrevert, fork, summarize, share and todo', async () => {
    const h = await sessionHarness({
      files: { 'a.txt': 'one\n' },
      extraPlugins: ['snapshot', 'share'],
      config: { command: { hello: { template: 'Say hello to $1' } } },
    })
    const client = createOpencodeClient({ baseUrl: await listen(h.server), directory: h.repo })
    const session = (await client.session.create({ title: 'client test' }, { throwOnError: true })).data

    const shell = await client.session.shell(
      { sessionID: session.id, agent: 'build', command: 'cat a.txt' },
      { throwOnError: true },
    )
    const shellData = shell.data as unknown as {
      info: { role: string }
      parts: { type: string; state: { output?: string } }[]
    }
    expect(shellData.info.role).to.equal('assistant')
    expect(shellData.parts[0]!.state.output).to.contain('one')

    h.llm.script({ text: 'Hello, Ada!' })
    const command = await client.session.command(
      { sessionID: session.id, command: 'hello', arguments: 'Ada' },
      { throwOnError: true },
    )
    expect(command.data.parts.some((part) => part.type === 'text' && part.text === 'Hello, Ada!')).to.equal(true)
    const missing = await client.session.command({ sessionID: session.id, command: 'nope', arguments: '' })
    expect(missing.response.status).to.equal(404)

    h.llm.script(
      { toolCalls: [{ name: 'write', args: { filePath: 'AGENTS.md', content: '# Guide\n' } }] },
      { text: 'Done.' },
    )
    const messageID = ascendingId('msg')
    const init = await client.session.init(
      { sessionID: session.id, messageID, providerID: 'scripted', modelID: 'test-model' },
      { throwOnError: true },
    )
    expect(init.data).to.equal(true)
    expect(readFileSync(join(h.repo, 'AGENTS.md'), 'utf8')).to.equal('# Guide\n')

    const diff = await client.session.diff({ sessionID: session.id }, { throwOnError: true })
    expect(diff.data.map((d) => [d.file, d.additions, d.deletions])).to.deep.equal([['AGENTS.md', 1, 0]])

    const reverted = await client.session.revert({ sessionID: session.id, messageID }, { throwOnError: true })
    expect(reverted.data.revert?.messageID).to.equal(messageID)
    expect(existsSync(join(h.repo, 'AGENTS.md'))).to.equal(false)
    await client.session.unrevert({ sessionID: session.id }, { throwOnError: true })
    expect(existsSync(join(h.repo, 'AGENTS.md'))).to.equal(true)

    const fork = await client.session.fork({ sessionID: session.id, messageID }, { throwOnError: true })
    const forked = await client.session.messages({ sessionID: fork.data.id }, { throwOnError: true })
    expect(forked.data.length).to.equal(4) // shell and command, not init

    h.llm.script({ text: 'Summary of everything.' })
    expect(
      (
        await client.session.summarize(
          { sessionID: session.id, providerID: 'scripted', modelID: 'test-model' },
          { throwOnError: true },
        )
      ).data,
    ).to.equal(true)

    const shared = await client.session.share({ sessionID: session.id }, { throwOnError: true })
    const url = shared.data.share!.url
    const page = await fetch(url)
    expect(page.status).to.equal(200)
    expect(await page.text()).to.contain('Summary of everything.')
    const unshared = await client.session.unshare({ sessionID: session.id }, { throwOnError: true })
    expect(unshared.data.share).to.equal(undefined)
    expect((await fetch(url)).status).to.equal(404)

    expect((await client.session.todo({ sessionID: session.id }, { throwOnError: true })).data).to.deep.equal([])
  })
})
