import { expect } from 'chai'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup } from '../../support/helper.js'
import { sessionHarness, until } from '../../support/session.js'

const GREETER = `
import { tool, type Plugin } from '@opencode-ai/plugin'
import { shout } from './lib/shout'

export const Greeter: Plugin = async ({ directory }, options) => ({
  tool: {
    greet: tool({
      description: 'Greets someone',
      args: {
        name: tool.schema.string().describe('who to greet'),
        times: tool.schema.number().int().min(1).max(3).optional(),
      },
      async execute(args, context) {
        context.metadata({ title: 'greeting ' + args.name })
        return { title: 'greeted', output: shout('hello ' + args.name) + ' in ' + context.directory, metadata: { prefix: (options as any)?.prefix ?? 'none' } }
      },
    }),
  },
  'chat.params': async (_input, output) => {
    output.temperature = 0.25
    output.options.plugin_flag = 'on'
  },
  'chat.headers': async (input, output) => {
    output.headers['x-plugin-agent'] = input.agent
  },
  'experimental.chat.system.transform': async (_input, output) => {
    output.system.push('Always answer like a pirate.')
  },
})
`

const SHOUT = `export const shout = (text: string): string => text.toUpperCase()\n`

const GUARD = `
export const Guard = async () => ({
  'tool.execute.before': async (input, output) => {
    if (input.tool === 'bash' && /rm -rf/.test(output.args.command)) throw new Error('Blocked by guard: ' + output.args.command)
    if (input.tool === 'bash') output.args.command = output.args.command.replace('SECRET', 'redacted')
  },
  'tool.definition': async (input, output) => {
    if (input.toolID === 'greet') output.description += ' (guarded)'
  },
  'tool.execute.after': async (input, output) => {
    if (input.tool === 'greet') output.output += ' (checked)'
  },
})
`

const RECORDER = `
import { appendFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Plugin } from '@opencode-ai/plugin'

export const Recorder: Plugin = async ({ $, directory, worktree, project, serverUrl, client }) => {
  const literal = await $\`printf %s \${'a b; echo X'}\`.text()
  const failed = await $\`sh -c 'echo oops >&2; exit 3'\`.nothrow().quiet()
  let thrown = ''
  try { await $\`sh -c 'echo bad >&2; exit 4'\` } catch (error: any) { thrown = error.exitCode + ':' + error.stderr.toString().trim() }
  const lines: string[] = []
  for await (const line of $\`printf 'one\\ntwo\\n'\`.lines()) lines.push(line)
  const json = await $\`echo '{"ok":true}'\`.json()
  const cwd = await $\`pwd\`.cwd('/').text()
  const env = await $\`printf %s "$PLUGIN_VAR"\`.env({ PLUGIN_VAR: 'set' }).text()
  writeFileSync(join(directory, 'shell.json'), JSON.stringify({ literal, exit: failed.exitCode, stderr: failed.stderr.toString().trim(), thrown, lines, json, cwd: cwd.trim(), env, same: directory === worktree, project: project.id, url: String(serverUrl), client: typeof client.session.list }))
  return {
    event: async ({ event }) => appendFileSync(join(directory, 'events.log'), event.type + '\\n'),
  }
}
`

describe('plugin: opencode-plugins (plugin files in .opencode/plugin)', function () {
  this.timeout(30_000)
  afterEach(cleanup)

  async function harness() {
    return sessionHarness({
      extraPlugins: ['opencode-host'],
      files: {
        '.opencode/plugin/greeter.ts': GREETER,
        '.opencode/plugin/lib/shout.ts': SHOUT,
        '.opencode/plugin/guard.js': GUARD,
        '.opencode/plugins/recorder.ts': RECORDER,
      },
    })
  }

  it('loads TypeScript and JavaScript plugin files and lists them with their hooks', async () => {
    const h = await harness()
    const list = (await h.call('GET', '/plugin')).body
    expect(list.map((p: any) => [p.status, p.source])).to.deep.equal([
      ['loaded', 'file'],
      ['loaded', 'file'],
      ['loaded', 'file'],
    ])
    const greeter = list.find((p: any) => p.spec.endsWith('greeter.ts'))
    expect(greeter.hooks).to.include.members([
      'tool',
      'chat.params',
      'chat.headers',
      'experimental.chat.system.transform',
    ])
    expect(greeter.tools).to.deep.equal(['greet'])
    const ids = (await h.call('GET', '/experimental/tool/ids')).body
    expect(ids).to.include('greet')
  })

  it('runs a zod-described plugin tool the model calls, with hooks before and after it', async () => {
    const h = await harness()
    h.llm.script({ toolCalls: [{ name: 'greet', args: { name: 'Ada' } }] }, { text: 'done' })
    const session = await h.createSession()
    const reply = await h.prompt(session.id, 'greet Ada')
    expect(reply.status).to.equal(200)

    const sent = h.llm.requests[0]!
    const greet = sent.body.tools!.find((t) => t.function.name === 'greet')!
    expect(greet.function.description).to.equal('Greets someone (guarded)')
    expect(greet.function.parameters).to.deep.include({ type: 'object', required: ['name'] })
    expect((greet.function.parameters as any).properties.name).to.deep.equal({
      type: 'string',
      description: 'who to greet',
    })
    expect((greet.function.parameters as any).properties.times).to.include({ type: 'integer', minimum: 1, maximum: 3 })

    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    const part = messages[1].parts.find((p: any) => p.type === 'tool')
    expect(part.state.status).to.equal('completed')
    expect(part.state.title).to.equal('greeted')
    expect(part.state.output).to.equal(`HELLO ADA in ${h.repo} (checked)`)
    expect(part.state.metadata).to.deep.equal({ prefix: 'none' })
  })

  it('lets a tool.execute.before guard refuse a bash command, the error going to the model', async () => {
    const h = await harness()
    h.llm.script(
      { toolCalls: [{ name: 'bash', args: { command: 'rm -rf build', description: 'clean' } }] },
      { text: 'ok' },
    )
    const session = await h.createSession()
    await h.prompt(session.id, 'clean up')
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    const part = messages[1].parts.find((p: any) => p.type === 'tool')
    expect(part.state.status).to.equal('error')
    expect(part.state.error).to.contain('Blocked by guard: rm -rf build')
    const toolResult = h.llm.requests[1]!.body.messages.find((m) => m.role === 'tool')
    expect(JSON.stringify(toolResult)).to.contain('Blocked by guard')
  })

  it('rewrites tool arguments in tool.execute.before', async () => {
    const h = await harness()
    h.llm.script(
      { toolCalls: [{ name: 'bash', args: { command: 'echo SECRET', description: 'say' } }] },
      { text: 'ok' },
    )
    const session = await h.createSession()
    await h.prompt(session.id, 'say it')
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    const part = messages[1].parts.find((p: any) => p.type === 'tool')
    expect(part.state.input.command).to.equal('echo redacted')
    expect(part.state.output).to.contain('redacted')
  })

  it('sends chat.params, chat.headers and the transformed system prompt to the model', async () => {
    const h = await harness()
    h.llm.script({ text: 'arr' })
    const session = await h.createSession()
    await h.prompt(session.id, 'hello')
    const sent = h.llm.requests[0]!
    expect(sent.body.temperature).to.equal(0.25)
    expect(sent.body.plugin_flag).to.equal('on')
    expect(sent.headers['x-plugin-agent']).to.equal('build')
    const system = sent.body.messages
      .filter((m) => m.role === 'system')
      .map((m) => String(m.content))
      .join('\n')
    expect(system).to.contain('Always answer like a pirate.')
  })

  it('gives plugins a Bun-compatible $ and calls the event hook with every event of the instance', async () => {
    const h = await harness()
    await h.call('GET', '/plugin')
    const shell = JSON.parse(readFileSync(join(h.repo, 'shell.json'), 'utf8'))
    expect(shell).to.deep.include({
      literal: 'a b; echo X',
      exit: 3,
      stderr: 'oops',
      thrown: '4:bad',
      json: { ok: true },
      cwd: '/',
      env: 'set',
      same: true,
      client: 'function',
    })
    expect(shell.lines).to.deep.equal(['one', 'two'])
    h.llm.script({ text: 'hi' })
    const session = await h.createSession()
    await h.prompt(session.id, 'hello')
    await until(
      () =>
        existsSync(join(h.repo, 'events.log')) &&
        readFileSync(join(h.repo, 'events.log'), 'utf8').includes('session.idle'),
      5000,
      'events',
    )
    const seen = readFileSync(join(h.repo, 'events.log'), 'utf8').split('\n')
    expect(seen).to.include.members([
      'session.created',
      'message.updated',
      'message.part.updated',
      'session.status',
      'session.idle',
    ])
  })
})
