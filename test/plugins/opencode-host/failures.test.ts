import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, startServer, tempDir } from '../../support/helper.js'
import { sessionHarness } from '../../support/session.js'

const FILES = {
  '.opencode/plugin/a-throws.ts': `export const Boom = async () => { throw new Error('boom at init') }\n`,
  '.opencode/plugin/b-hangs.ts': `export const Hang = () => new Promise(() => {})\n`,
  '.opencode/plugin/c-bad-export.js': `export const VERSION = '1'\nexport const Fine = async () => ({})\n`,
  '.opencode/plugin/d-syntax.ts': `export const Broken = async () => ({ oops: \n`,
  '.opencode/plugin/e-hooks.ts': `
export const Hooks = async () => ({
  'chat.params': async () => { throw new Error('params hook broke') },
  'experimental.chat.system.transform': () => new Promise(() => {}),
  'tool.execute.before': async (input: any) => { if (input.tool === 'bash') await new Promise(() => {}) },
})
`,
  'local/options.js': `export default { id: 'with-options', server: async (_input, options) => ({ tool: { options: { description: 'shows options', args: {}, execute: async () => JSON.stringify(options) } } }) }\n`,
}

describe('plugin: opencode-plugins (broken plugins)', function () {
  this.timeout(40_000)
  afterEach(cleanup)

  it('skips plugins that throw, hang or cannot load, reports each, and keeps serving', async () => {
    const h = await sessionHarness({
      extraPlugins: ['opencode-host'],
      files: FILES,
      config: {
        plugin: [
          'not-installed-plugin-xyz@1.2.3',
          ['./local/options.js', { greeting: 'hi' }],
          'https://example.com/plugin.js',
        ],
      },
      server: { env: { OPENCODE_PLUGIN_TIMEOUT_MS: '1500' } },
    })
    const list = (await h.call('GET', '/plugin')).body as any[]
    const bySpec = (fragment: string) => list.find((p) => p.spec.includes(fragment))
    expect(bySpec('https://example.com')).to.include({ status: 'failed' })
    expect(bySpec('not-installed-plugin-xyz')).to.include({
      status: 'failed',
      source: 'npm',
      name: 'not-installed-plugin-xyz',
    })
    expect(bySpec('not-installed-plugin-xyz').error).to.contain('npm install not-installed-plugin-xyz@1.2.3')
    expect(bySpec('options.js')).to.include({ status: 'loaded', name: 'with-options' })
    expect(bySpec('a-throws')).to.include({ status: 'failed', error: 'boom at init' })
    expect(bySpec('b-hangs').error).to.contain('did not finish within 1500 ms')
    expect(bySpec('c-bad-export').error).to.contain('Plugin export is not a function')
    expect(bySpec('d-syntax')).to.include({ status: 'failed' })
    expect(bySpec('e-hooks')).to.include({ status: 'loaded' })

    // A hook that throws or hangs fails only what it guards: the prompt answers, the bash call is refused.
    h.llm.script(
      {
        toolCalls: [
          { name: 'options', args: {} },
          { name: 'bash', args: { command: 'echo hi', description: 'hi' } },
        ],
      },
      { text: 'still here' },
    )
    const session = await h.createSession()
    const reply = await h.prompt(session.id, 'go')
    expect(reply.status).to.equal(200)
    expect(reply.body.parts.find((p: any) => p.type === 'text').text).to.equal('still here')
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    const tools = messages[1].parts.filter((p: any) => p.type === 'tool')
    expect(tools[0].state.output).to.equal('{"greeting":"hi"}')
    expect(tools[1].state.status).to.equal('error')
    expect(tools[1].state.error).to.contain('did not finish within 1500 ms')
    expect((await h.call('GET', '/session')).status).to.equal(200)
  })

  it('leaves OpenCode plugins named in config to this plugin: the kernel loader does not report them as broken kernel plugins', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'opencode-style.js'), 'export const Plugin = async () => ({})\n')
    writeFileSync(join(dir, 'opencode-v1.js'), 'export default { id: "v1", server: async () => ({}) }\n')
    writeFileSync(join(dir, 'typed.ts'), 'export const Typed = async (): Promise<object> => ({})\n')
    const server = await startServer({
      only: ['core'],
      plugins: ['opencode-style.js', 'opencode-v1.js', 'typed.ts'].map((name) => join(dir, name)),
    })
    expect(server.skipped).to.deep.equal([])
  })
})
