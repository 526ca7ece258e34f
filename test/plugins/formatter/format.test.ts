import { expect } from 'chai'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup } from '../../support/helper.js'
import { sessionHarness } from '../../support/session.js'

const UPPERCASE =
  "const fs = require('fs'); const f = process.argv[1]; fs.writeFileSync(f, fs.readFileSync(f, 'utf8').toUpperCase())"

describe('plugin: formatter (after edits)', () => {
  afterEach(cleanup)

  it('formats a file the model wrote with the formatters for its extension, and says so', async () => {
    const h = await sessionHarness({
      extraPlugins: ['formatter'],
      config: {
        formatter: {
          upper: { command: [process.execPath, '-e', UPPERCASE, '$FILE'], extensions: ['.txt'] },
          failing: { command: ['false'], extensions: ['.md'] },
          off: { command: [process.execPath, '-e', UPPERCASE, '$FILE'], extensions: ['.log'], disabled: true },
        },
      },
    })
    h.llm.script(
      {
        toolCalls: [
          { name: 'write', args: { filePath: 'a.txt', content: 'hello\n' } },
          { name: 'write', args: { filePath: 'b.md', content: 'keep me\n' } },
          { name: 'write', args: { filePath: 'c.log', content: 'as is\n' } },
        ],
      },
      { text: 'Done.' },
    )
    const session = await h.createSession()
    await h.prompt(session.id, 'write three files')
    expect(readFileSync(join(h.repo, 'a.txt'), 'utf8')).to.equal('HELLO\n')
    expect(readFileSync(join(h.repo, 'b.md'), 'utf8')).to.equal('keep me\n')
    expect(readFileSync(join(h.repo, 'c.log'), 'utf8')).to.equal('as is\n')
    const tools = (await h.call('GET', `/session/${session.id}/message`)).body[1].parts.filter(
      (p: any) => p.type === 'tool',
    )
    expect(tools[0].state.output).to.contain('formatted with upper')
    expect(tools[1].state.output).not.to.contain('formatted')
    expect(tools[2].state.output).not.to.contain('formatted')
  })

  it("runs the project's own prettier from node_modules/.bin, and nothing with formatter: false", async () => {
    for (const config of [{}, { formatter: false }]) {
      const h = await sessionHarness({ extraPlugins: ['formatter'], config })
      // A stand-in for prettier that uppercases the file.
      mkdirSync(join(h.repo, 'node_modules', '.bin'), { recursive: true })
      writeFileSync(
        join(h.repo, 'node_modules', '.bin', 'prettier'),
        `#!${process.execPath}\nconst fs = require('fs'); const f = process.argv[3]; fs.writeFileSync(f, fs.readFileSync(f, 'utf8').toUpperCase())\n`,
      )
      chmodSync(join(h.repo, 'node_modules', '.bin', 'prettier'), 0o755)
      h.llm.script({ toolCalls: [{ name: 'write', args: { filePath: 'a.json', content: '{"a":1}' } }] }, { text: 'ok' })
      const session = await h.createSession()
      await h.prompt(session.id, 'write')
      expect(readFileSync(join(h.repo, 'a.json'), 'utf8')).to.equal(config.formatter === false ? '{"a":1}' : '{"A":1}')
    }
  })
})
