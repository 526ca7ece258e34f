import { expect } from 'chai'
import { cleanup } from '../../support/helper.js'
import { sessionHarness, until } from '../../support/session.js'

const toolPart = (message: any) => message.parts.find((p: any) => p.type === 'tool')

describe('tool: task', () => {
  afterEach(cleanup)

  it('runs a subagent in a child session and returns its final text', async () => {
    const h = await sessionHarness()
    h.llm.script(
      {
        toolCalls: [
          { name: 'task', args: { description: 'Look around', prompt: 'List the files', subagent_type: 'explore' } },
        ],
      },
      { text: 'There is a README.' },
      { text: 'The subagent found a README.' },
    )
    const session = await h.createSession()
    const reply = (await h.prompt(session.id, 'explore the repo')).body
    expect(reply.parts.find((p: any) => p.type === 'text').text).to.equal('The subagent found a README.')

    const children = (await h.call('GET', `/session/${session.id}/children`)).body
    expect(children).to.have.length(1)
    expect(children[0].title).to.equal('Look around (@explore subagent)')
    const childMessages = (await h.call('GET', `/session/${children[0].id}/message`)).body
    expect(childMessages.map((m: any) => m.info.role)).to.deep.equal(['user', 'assistant'])
    expect(childMessages[1].info.agent).to.equal('explore')

    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    const state = toolPart(messages[1]).state
    expect(state.status).to.equal('completed')
    expect(state.output).to.equal(
      `task_id: ${children[0].id} (for resuming to continue this task if needed)\n\n<task_result>\nThere is a README.\n</task_result>`,
    )
    expect(state.metadata).to.deep.equal({ sessionId: children[0].id })
    // The subagent saw its own prompt, with the explore agent's tools only.
    const childRequest = h.llm.requests[1]!.body
    expect(JSON.stringify(childRequest.messages)).to.contain('List the files')
    const childTools = (childRequest.tools as any[]).map((t: any) => t.function.name)
    expect(childTools).to.include('read')
    expect(childTools).to.not.include('task')
    // The parent's tool list describes the subagents.
    const taskTool = (h.llm.requests[0]!.body.tools as any[]).find((t: any) => t.function.name === 'task')
    expect(taskTool.function.description).to.contain('- explore:')
    expect(taskTool.function.description).to.not.contain('- build:')
  })

  it('fails with the available agents when the subagent type is unknown', async () => {
    const h = await sessionHarness()
    h.llm.script(
      { toolCalls: [{ name: 'task', args: { description: 'x', prompt: 'y', subagent_type: 'build' } }] },
      { text: 'ok' },
    )
    const session = await h.createSession()
    await h.prompt(session.id, 'go')
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(toolPart(messages[1]).state.error).to.match(
      /Unknown agent type: build is not a valid agent type\. Available: .*explore/,
    )
  })

  it('aborting the parent aborts the subagent', async () => {
    const h = await sessionHarness()
    h.llm.script(
      { toolCalls: [{ name: 'task', args: { description: 'Slow', prompt: 'wait', subagent_type: 'general' } }] },
      { text: 'slow', delayMs: 60_000 },
    )
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'go')
    await h.llm.untilRequests(2)
    await h.call('POST', `/session/${session.id}/abort`)
    const done = (await reply).body
    expect(done.info.error.name).to.equal('MessageAbortedError')
    const children = (await h.call('GET', `/session/${session.id}/children`)).body
    await until(
      () =>
        !h.events.some(
          (e) =>
            e.type === 'session.status' &&
            (e.properties as any).sessionID === children[0].id &&
            (e.properties as any).status.type === 'busy',
        ) || h.events.some((e) => e.type === 'session.idle' && (e.properties as any).sessionID === children[0].id),
      5000,
      'the child to stop',
    )
    const childMessages = (await h.call('GET', `/session/${children[0].id}/message`)).body
    expect(childMessages[1].info.error.name).to.equal('MessageAbortedError')
    expect((await h.call('GET', '/session/status')).body).to.deep.equal({})
  })
})
