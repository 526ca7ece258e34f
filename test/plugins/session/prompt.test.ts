import { expect } from 'chai'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../../kernel/core/version.js'
import { cleanup, copyStores, onCleanup, startServer, tempDir } from '../../support/helper.js'
import { ScriptedLlm } from '../../support/llm.js'
import { PLUGINS, sessionHarness, until } from '../../support/session.js'

const SLOW_TOOLS = join(PACKAGE_ROOT, 'dist/test/fixtures/tools/slow-tool.js')
const types = (events: { type: string }[]) => events.map((e) => e.type)

describe('plugin: session (the agent loop)', () => {
  afterEach(cleanup)

  it('answers a text prompt with streamed deltas, then the full part, tokens and cost', async () => {
    const h = await sessionHarness()
    h.llm.script({ text: ['Hello', ' from', ' the model'], usage: { prompt_tokens: 1000, completion_tokens: 500 } })
    const session = await h.createSession()
    const reply = await h.prompt(session.id, 'Say hello')
    expect(reply.status).to.equal(200)
    const { info, parts } = reply.body
    expect(info).to.include({
      role: 'assistant',
      providerID: 'scripted',
      modelID: 'test-model',
      agent: 'build',
      mode: 'build',
      finish: 'stop',
    })
    expect(info.time.completed).to.be.a('number')
    expect(info.tokens).to.include({ input: 1000, output: 500 })
    expect(info.cost).to.be.closeTo((1000 * 1 + 500 * 2) / 1e6, 1e-12)
    expect(parts.map((p: any) => p.type)).to.deep.equal(['step-start', 'text', 'step-finish'])
    expect(parts[1].text).to.equal('Hello from the model')
    expect(parts[2]).to.include({ reason: 'stop' })

    const deltas = h.events.filter((e) => e.type === 'message.part.delta').map((e) => (e.properties as any).delta)
    expect(deltas).to.deep.equal(['Hello', ' from', ' the model'])
    const order = types(h.events).filter((t) => ['session.status', 'message.part.delta', 'session.idle'].includes(t))
    expect(order[0]).to.equal('session.status')
    expect(order.at(-1)).to.equal('session.idle')
    const statuses = h.events.filter((e) => e.type === 'session.status').map((e) => (e.properties as any).status.type)
    expect(statuses[0]).to.equal('busy')
    expect(statuses.at(-1)).to.equal('idle')
    expect((await h.call('GET', '/session/status')).body).to.deep.equal({})

    // What the model was sent: system prompt with environment facts, then the user's text.
    const sent = h.llm.requests[0]!.body
    expect(sent.model).to.equal('test-model')
    expect(sent.messages[0]!.role).to.equal('system')
    expect(JSON.stringify(sent.messages)).to.contain(h.repo)
    expect(sent.messages.at(-1)).to.deep.include({ role: 'user' })
    expect(JSON.stringify(sent.messages.at(-1))).to.contain('Say hello')
    expect(h.llm.requests[0]!.headers.authorization).to.equal('Bearer test-key')

    const stored = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(stored.map((m: any) => m.info.role)).to.deep.equal(['user', 'assistant'])
    expect(stored[1].parts[1].text).to.equal('Hello from the model')
    const updated = (await h.call('GET', `/session/${session.id}`)).body
    expect(updated).to.include({ agent: 'build' })
    expect(updated.model).to.deep.equal({ id: 'test-model', providerID: 'scripted' })
    expect(updated.tokens.input).to.equal(1000)
  })

  it('titles the session from the first prompt in the background', async () => {
    const h = await sessionHarness()
    h.llm.title = '<think>hmm</think>\n  Greeting the model  \nsecond line'
    h.llm.script({ text: 'hi' })
    const session = await h.createSession()
    await h.prompt(session.id, 'Say hello')
    await until(
      () =>
        h.events.some((e) => e.type === 'session.updated' && (e.properties as any).info.title === 'Greeting the model'),
      5000,
      'title',
    )
    expect((await h.call('GET', `/session/${session.id}`)).body.title).to.equal('Greeting the model')
    expect(JSON.stringify(h.llm.titleRequests[0]!.body.messages)).to.contain('Say hello')

    const named = await h.createSession({ title: 'Mine' })
    h.llm.script({ text: 'hi' })
    await h.prompt(named.id, 'Say hello')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await h.call('GET', `/session/${named.id}`)).body.title).to.equal('Mine')
  })

  it('streams reasoning into a reasoning part', async () => {
    const h = await sessionHarness()
    h.llm.script({
      reasoning: ['Thinking', ' hard'],
      text: 'Done',
      usage: { prompt_tokens: 10, completion_tokens: 7, reasoning_tokens: 3 },
    })
    const session = await h.createSession()
    const { body } = await h.prompt(session.id, 'think')
    expect(body.parts.map((p: any) => p.type)).to.deep.equal(['step-start', 'reasoning', 'text', 'step-finish'])
    expect(body.parts[1].text).to.equal('Thinking hard')
    expect(body.parts[1].time.end).to.be.a('number')
    expect(body.info.tokens.reasoning).to.equal(3)
  })

  it('runs a tool round trip: pending, running, completed, result back to the model', async () => {
    const h = await sessionHarness({ files: { 'notes.txt': 'first line\nsecond line\n' } })
    h.llm.script(
      { toolCalls: [{ name: 'read', args: { filePath: 'notes.txt' } }] },
      { text: 'The file has two lines.' },
    )
    const session = await h.createSession()
    const reply = await h.prompt(session.id, 'Read notes.txt')
    expect(reply.body.info.finish).to.equal('stop')
    expect(reply.body.parts.find((p: any) => p.type === 'text').text).to.equal('The file has two lines.')

    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(messages.map((m: any) => m.info.role)).to.deep.equal(['user', 'assistant', 'assistant'])
    expect(messages[1].info.finish).to.equal('tool-calls')
    expect(messages[2].info.parentID).to.equal(messages[0].info.id)
    const tool = messages[1].parts.find((p: any) => p.type === 'tool')
    expect(tool).to.include({ tool: 'read', callID: 'call_1' })
    expect(tool.state.status).to.equal('completed')
    expect(tool.state.title).to.equal('notes.txt')
    expect(tool.state.output).to.contain('00001| first line')
    expect(tool.state.input).to.deep.equal({ filePath: 'notes.txt' })

    const states = h.events
      .filter((e) => e.type === 'message.part.updated' && (e.properties as any).part.type === 'tool')
      .map((e) => (e.properties as any).part.state.status)
    expect(states).to.deep.equal(['pending', 'running', 'completed'])

    const second = h.llm.requests[1]!.body
    expect(second.tools!.map((t) => t.function.name)).to.include('read')
    const toolMessage = second.messages.find((m) => m.role === 'tool')!
    expect(toolMessage.tool_call_id).to.equal('call_1')
    expect(JSON.stringify(toolMessage.content)).to.contain('first line')
  })

  it("sends a failing tool's error back to the model and continues", async () => {
    const h = await sessionHarness()
    h.llm.script(
      { toolCalls: [{ name: 'read', args: { filePath: 'missing.txt' } }] },
      { toolCalls: [{ name: 'read', args: { wrong: 1 } }] },
      { text: 'Giving up.' },
    )
    const session = await h.createSession()
    const reply = await h.prompt(session.id, 'Read it')
    expect(reply.body.parts.find((p: any) => p.type === 'text').text).to.equal('Giving up.')
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    const errors = messages
      .flatMap((m: any) => m.parts)
      .filter((p: any) => p.type === 'tool')
      .map((p: any) => p.state)
    expect(errors.map((s: any) => s.status)).to.deep.equal(['error', 'error'])
    expect(errors[0].error).to.contain('File not found')
    expect(errors[1].error).to.contain('invalid arguments')
    expect(JSON.stringify(h.llm.requests[1]!.body.messages)).to.contain('File not found')
  })

  it('queues a second prompt on a busy session and answers each caller with its own reply', async () => {
    const h = await sessionHarness()
    h.llm.script({ text: ['first', ' answer'], delayMs: 40 }, { text: 'second answer' })
    const session = await h.createSession()
    const one = h.prompt(session.id, 'one')
    await h.llm.untilRequests(1)
    const two = h.prompt(session.id, 'two')
    const [a, b] = await Promise.all([one, two])
    expect(a.body.parts.find((p: any) => p.type === 'text').text).to.equal('first answer')
    expect(b.body.parts.find((p: any) => p.type === 'text').text).to.equal('second answer')
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    const users = messages.filter((m: any) => m.info.role === 'user')
    expect(a.body.info.parentID).to.equal(users[0].info.id)
    expect(b.body.info.parentID).to.equal(users[1].info.id)
    // The first turn never saw the queued prompt; the second saw both.
    expect(JSON.stringify(h.llm.requests[0]!.body.messages)).not.to.contain('"two"')
    expect(JSON.stringify(h.llm.requests[1]!.body.messages)).to.contain('first answer')
    expect(h.events.filter((e) => e.type === 'session.idle')).to.have.length(1)
  })

  it('aborts mid-stream: MessageAbortedError, queued prompts dropped, session idle', async () => {
    const h = await sessionHarness()
    h.llm.script({ text: ['partial', ' more', ' never'], hang: true }, { text: 'should not run' })
    const session = await h.createSession()
    const running = h.prompt(session.id, 'go')
    await until(() => h.events.some((e) => e.type === 'message.part.delta'), 5000, 'first delta')
    const queued = h.prompt(session.id, 'queued')
    await until(
      () =>
        h.events.filter((e) => e.type === 'message.updated' && (e.properties as any).info.role === 'user').length === 2,
    )
    expect((await h.call('GET', '/session/status')).body[session.id]).to.deep.equal({ type: 'busy' })
    expect((await h.call('POST', `/session/${session.id}/abort`)).body).to.equal(true)
    const [first, second] = await Promise.all([running, queued])
    expect(first.body.info.error).to.deep.equal({ name: 'MessageAbortedError', data: { message: 'Aborted' } })
    expect(second.body.info.id).to.equal(first.body.info.id)
    expect(first.body.parts.find((p: any) => p.type === 'text').text).to.contain('partial')
    expect(h.llm.requests).to.have.length(1)
    // OpenCode 2.1's run boundary (`session.execution.*`) rides the bus too, off the v1 streams.
    const tail = types(h.events.filter((e) => !e.type.startsWith('session.execution.'))).slice(-3)
    expect(tail).to.deep.equal(['session.error', 'session.status', 'session.idle'])
    expect((await h.call('GET', '/session/status')).body).to.deep.equal({})
    // The stored text survived the abort.
    const stored = (await h.call('GET', `/session/${session.id}/message/${first.body.info.id}`)).body
    expect(stored.parts.find((p: any) => p.type === 'text').text).to.contain('partial')
  })

  it('aborts mid-tool: the tool sees the signal and its part ends in error', async () => {
    const h = await sessionHarness({ plugins: [SLOW_TOOLS] })
    h.llm.script({ toolCalls: [{ name: 'wait', args: { ms: 60_000 } }] })
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'wait')
    await until(
      () =>
        h.events.some(
          (e) => e.type === 'message.part.updated' && (e.properties as any).part.state?.title === 'waiting',
        ),
      5000,
      'tool running',
    )
    await h.call('POST', `/session/${session.id}/abort`)
    const { body } = await reply
    expect(body.info.error.name).to.equal('MessageAbortedError')
    const tool = body.parts.find((p: any) => p.type === 'tool')
    expect(tool.state.status).to.equal('error')
    expect(tool.state.error).to.equal('Tool execution aborted')
    expect(tool.state.metadata).to.deep.equal({ started: true })
    expect(h.llm.requests).to.have.length(1)
    // The side title may rename the session after the loop went idle.
    const loop = types(h.events).filter((type) => type !== 'session.updated' && type !== 'session.renamed')
    expect(loop.at(-1)).to.equal('session.idle')
  })

  it('retries a provider 500 with backoff shown as status retry, then succeeds', async () => {
    const h = await sessionHarness()
    h.llm.script({ status: 500, error: 'overloaded', headers: { 'retry-after-ms': '20' } }, { text: 'recovered' })
    const session = await h.createSession()
    const reply = await h.prompt(session.id, 'hi')
    expect(reply.body.info.error).to.equal(undefined)
    expect(reply.body.parts.find((p: any) => p.type === 'text').text).to.equal('recovered')
    const retry = h.events.find((e) => e.type === 'session.status' && (e.properties as any).status.type === 'retry')
    expect((retry!.properties as any).status).to.include({ attempt: 1 })
    expect((retry!.properties as any).status.message).to.contain('overloaded')
    expect(h.llm.requests).to.have.length(2)
  })

  it('reports a provider 401 as ProviderAuthError, publishes session.error and goes idle', async () => {
    const h = await sessionHarness()
    h.llm.script({ status: 401, error: 'invalid api key' })
    const session = await h.createSession()
    const reply = await h.prompt(session.id, 'hi')
    expect(reply.status).to.equal(200)
    expect(reply.body.info.error.name).to.equal('ProviderAuthError')
    expect(reply.body.info.error.data.providerID).to.equal('scripted')
    expect(reply.body.info.error.data.message).to.contain('invalid api key')
    // Idle after the error (the title, made on the side, may update and rename the session after that).
    const order = types(h.events).filter((type) => type !== 'session.updated' && type !== 'session.renamed')
    expect(order).to.include('session.error')
    expect(order.at(-1)).to.equal('session.idle')
    expect(h.llm.requests).to.have.length(1)
  })

  it('answers prompt_async with 204 at once and runs the same loop', async () => {
    const h = await sessionHarness()
    h.llm.script({ text: 'async reply', delayMs: 20 })
    const session = await h.createSession()
    const response = await h.call('POST', `/session/${session.id}/prompt_async`, {
      parts: [{ type: 'text', text: 'hi' }],
    })
    expect(response.status).to.equal(204)
    await until(() => h.events.some((e) => e.type === 'session.idle'), 5000, 'idle')
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(messages[1].parts.find((p: any) => p.type === 'text').text).to.equal('async reply')
    expect((await h.call('POST', `/session/${session.id}/prompt_async`, { parts: [] })).status).to.equal(400)
  })

  it('marks parts left running by a crash as errors at start-up', async () => {
    const h = await sessionHarness({ plugins: [SLOW_TOOLS] })
    h.llm.script({ toolCalls: [{ name: 'wait', args: { ms: 60_000 } }] })
    const session = await h.createSession()
    void h.prompt(session.id, 'wait').catch(() => {})
    const db = h.server.kernel.storage.db
    await until(
      () =>
        (
          db.prepare('SELECT count(*) AS n FROM part WHERE active = 1 AND data LIKE \'%"running"%\'').get() as {
            n: number
          }
        ).n === 1,
      5000,
      'running part stored',
    )
    // A crash: copy the stores as they are now (mid-tool) and start a new server on the copy.
    const crashed = tempDir('ok-data-')
    await copyStores(h.server, crashed)
    const second = await startServer({ cwd: h.repo, only: PLUGINS, dataDir: crashed })
    const messages = (await second.app.inject({ url: `/session/${session.id}/message` })).json()
    const tool = messages[1].parts.find((p: any) => p.type === 'tool')
    expect(tool.state.status).to.equal('error')
    expect(tool.state.error).to.contain('interrupted')
    expect(messages[1].info.time.completed).to.be.a('number')
    expect(messages[1].info.error.name).to.equal('MessageAbortedError')
  })
})

describe('plugin: session (model variants)', () => {
  afterEach(cleanup)

  it('sends the options of the variant a prompt picks, and records it on the user message', async () => {
    const h = await sessionHarness({
      testModel: {
        name: 'Test model',
        reasoning: true,
        variants: { high: { reasoningEffort: 'high' }, low: { disabled: true } },
      },
    })
    const providers = (await h.call('GET', '/config/providers')).body
    const model = providers.providers.find((p: any) => p.id === 'scripted').models['test-model']
    expect(Object.keys(model.variants).sort()).to.deep.equal(['high', 'medium'])

    h.llm.script({ text: 'thought hard' }, { text: 'plain' })
    const session = await h.createSession()
    const reply = await h.prompt(session.id, 'think', { variant: 'high' })
    expect(reply.status).to.equal(200)
    expect(h.llm.requests[0]!.body.reasoning_effort).to.equal('high')
    const [user] = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(user.info.model).to.deep.equal({ providerID: 'scripted', modelID: 'test-model', variant: 'high' })

    await h.prompt(session.id, 'plain')
    expect(h.llm.requests[1]!.body.reasoning_effort).to.equal(undefined)
  })
})

describe('plugin: session (structured output)', () => {
  afterEach(cleanup)
  const format = {
    type: 'json_schema',
    schema: { type: 'object', properties: { answer: { type: 'number' } }, required: ['answer'] },
  }

  it('answers through the StructuredOutput tool: its valid input becomes info.structured and ends the turn', async () => {
    const h = await sessionHarness()
    h.llm.script(
      { toolCalls: [{ name: 'StructuredOutput', args: { answer: 'forty-two' } }] },
      { toolCalls: [{ name: 'StructuredOutput', args: { answer: 42 } }] },
    )
    const session = await h.createSession()
    const reply = await h.prompt(session.id, 'What is six times seven?', { format })
    expect(reply.status).to.equal(200)
    expect(reply.body.info.structured).to.deep.equal({ answer: 42 })
    expect(reply.body.info.error).to.equal(undefined)
    expect(h.llm.requests).to.have.length(2)
    const tool = h.llm.requests[0]!.body.tools!.find((t) => t.function.name === 'StructuredOutput')!
    expect((tool.function.parameters as any).properties.answer).to.deep.equal({ type: 'number' })
    expect(JSON.stringify(h.llm.requests[0]!.body.messages[0])).to.contain('call the StructuredOutput tool')
    // The invalid first answer was a tool error the model saw.
    expect(JSON.stringify(h.llm.requests[1]!.body.messages)).to.contain('invalid arguments')
    const [user] = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(user.info.format).to.deep.equal(format)
  })

  it('reminds a model that answered in text, and fails with StructuredOutputError when reminders run out', async () => {
    const h = await sessionHarness()
    h.llm.script({ text: 'It is 42.' }, { toolCalls: [{ name: 'StructuredOutput', args: { answer: 42 } }] })
    const session = await h.createSession()
    const reply = await h.prompt(session.id, 'six times seven', { format })
    expect(reply.body.info.structured).to.deep.equal({ answer: 42 })
    expect(JSON.stringify(h.llm.requests[1]!.body.messages)).to.contain('You did not call the StructuredOutput tool')

    h.llm.script({ text: 'Just text.' })
    const failed = await h.prompt(session.id, 'again', { format: { ...format, retryCount: 0 } })
    expect(failed.body.info.error).to.deep.equal({
      name: 'StructuredOutputError',
      data: { message: 'The model did not call the StructuredOutput tool', retries: 0 },
    })
    expect((await h.prompt(session.id, 'bad', { format: { type: 'json_schema' } })).status).to.equal(400)
  })
})

describe('plugin: provider (model SDKs from plugins)', () => {
  afterEach(cleanup)

  it('calls a model through the SDK a community plugin provides for its npm name', async () => {
    const llm = new ScriptedLlm()
    await llm.start()
    onCleanup(() => llm.close())
    const h = await sessionHarness({
      llm,
      plugins: [join(PACKAGE_ROOT, 'dist/test/fixtures/providers/custom-sdk.js')],
      config: {
        model: 'custom/m1',
        provider: {
          custom: {
            npm: 'custom-llm-sdk',
            name: 'Custom',
            options: { endpoint: llm.url, apiKey: 'k' },
            models: { m1: { name: 'M1' } },
          },
        },
      },
    })
    h.llm.script({ text: 'From the custom SDK.' })
    const session = await h.createSession()
    const reply = await h.prompt(session.id, 'hello')
    expect(reply.status).to.equal(200)
    expect(reply.body.parts.find((p: any) => p.type === 'text').text).to.equal('From the custom SDK.')
    expect(h.llm.requests[0]!.headers['x-custom-sdk']).to.equal('yes')
    expect(reply.body.info).to.include({ providerID: 'custom', modelID: 'm1' })
  })

  it('names the available packages when a provider uses an unknown one', async () => {
    const h = await sessionHarness({
      config: {
        model: 'other/m',
        provider: { other: { npm: 'nope-sdk', options: { baseURL: 'http://127.0.0.1:9' }, models: { m: {} } } },
      },
    })
    const session = await h.createSession()
    const reply = await h.prompt(session.id, 'hello')
    expect(JSON.stringify(reply.body)).to.contain('nope-sdk').and.contain('@ai-sdk/openai-compatible')
  })
})
