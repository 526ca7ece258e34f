import { expect } from 'chai'
import { cleanup } from '../../support/helper.js'
import { sessionHarness } from '../../support/session.js'

const HOOKS = `
import type { Plugin } from '@opencode-ai/plugin'

export const Everything: Plugin = async () => ({
  config: async (config: any) => {
    config.command = { ...(config.command ?? {}), hello: { template: 'Say hello to $ARGUMENTS', description: 'added by a plugin' } }
  },
  'permission.ask': async (input: any, output: any) => {
    if (input.permission !== 'bash') return
    if (input.patterns.every((p: string) => p.startsWith('echo'))) output.status = 'allow'
    else if (input.patterns.some((p: string) => p.startsWith('curl'))) output.status = 'deny'
  },
  'shell.env': async (input: any, output: any) => {
    output.env.FROM_PLUGIN = 'env-' + (input.sessionID ? 'session' : 'none')
  },
  'command.execute.before': async (input: any, output: any) => {
    output.parts.push({ type: 'text', text: 'command ' + input.command + ' with ' + input.arguments })
  },
  'chat.message': async (_input: any, output: any) => {
    for (const part of output.parts) if (part.type === 'text') part.text = part.text.replace('PRIVATE', '[hidden]')
  },
  'experimental.chat.messages.transform': async (_input: any, output: any) => {
    for (const message of output.messages) for (const part of message.parts) if (part.type === 'text') part.text = part.text.replace('NOT-FOR-THE-MODEL', 'pruned')
  },
  'experimental.text.complete': async (_input: any, output: any) => {
    output.text = output.text + ' [reviewed]'
  },
  'experimental.session.compacting': async (_input: any, output: any) => {
    output.context.push('Remember the plugin context.')
  },
})
`

describe('plugin: opencode-plugins (hooks across the server)', function () {
  this.timeout(40_000)
  afterEach(cleanup)

  async function harness() {
    const h = await sessionHarness({
      extraPlugins: ['opencode-host'],
      files: { '.opencode/plugin/everything.ts': HOOKS },
      config: { permission: { bash: 'ask' } },
    })
    await h.call('GET', '/plugin')
    return h
  }

  it('config: a command the config hook adds is listed by GET /command, and command.execute.before edits its parts', async () => {
    const h = await harness()
    const commands = (await h.call('GET', '/command')).body
    expect(commands.map((c: any) => c.name)).to.include('hello')
    h.llm.script({ text: 'hi' })
    const session = await h.createSession()
    const reply = await h.call('POST', `/session/${session.id}/command`, { command: 'hello', arguments: 'Ada' })
    expect(reply.status).to.equal(200)
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    const texts = messages[0].parts.filter((p: any) => p.type === 'text').map((p: any) => p.text)
    expect(texts).to.deep.equal(['Say hello to Ada', 'command hello with Ada'])
  })

  it('permission.ask allows or denies before the user is asked; shell.env reaches the bash child', async () => {
    const h = await harness()
    h.llm.script(
      { toolCalls: [{ name: 'bash', args: { command: 'echo "$FROM_PLUGIN"', description: 'env' } }] },
      { toolCalls: [{ name: 'bash', args: { command: 'curl http://example.com', description: 'fetch' } }] },
      { text: 'done' },
    )
    const session = await h.createSession()
    const reply = await h.prompt(session.id, 'run')
    expect(reply.status).to.equal(200)
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    const tools = messages.flatMap((m: any) => m.parts).filter((p: any) => p.type === 'tool')
    expect(tools[0].state.status).to.equal('completed')
    expect(tools[0].state.output.trim()).to.equal('env-session')
    expect(tools[1].state.status).to.equal('error')
    expect(tools[1].state.error).to.contain('rejected')
    expect(h.events.some((e) => e.type === 'permission.asked')).to.equal(false)
  })

  it('chat.message edits what is stored, messages.transform only what is sent, text.complete the final text', async () => {
    const h = await harness()
    h.llm.script({ text: 'answer' })
    const session = await h.createSession()
    const reply = await h.prompt(session.id, 'PRIVATE data and NOT-FOR-THE-MODEL')
    expect(reply.body.parts.find((p: any) => p.type === 'text').text).to.equal('answer [reviewed]')
    const stored = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(stored[0].parts[0].text).to.equal('[hidden] data and NOT-FOR-THE-MODEL')
    const sent = JSON.stringify(h.llm.requests[0]!.body.messages)
    expect(sent).to.contain('[hidden] data and pruned')
    expect(sent).not.to.contain('NOT-FOR-THE-MODEL')
  })

  it('experimental.session.compacting adds its context to the summary request', async () => {
    const h = await harness()
    h.llm.script({ text: 'first' }, { text: 'the summary' })
    const session = await h.createSession()
    await h.prompt(session.id, 'hello')
    const summarized = await h.call('POST', `/session/${session.id}/summarize`, {
      providerID: 'scripted',
      modelID: 'test-model',
    })
    expect(summarized.status).to.equal(200)
    const request = h.llm.requests[1]!.body.messages
    expect(JSON.stringify(request.at(-1))).to.contain('Remember the plugin context.')
  })
})
