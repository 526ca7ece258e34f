import { expect } from 'chai'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ascendingId } from '../../../../../kernel/core/ids.js'
import {
  fileReferences,
  fillArguments,
  parseModel,
  splitArguments,
} from '../../../../../plugins/session/http/v1/command.js'
import { cleanup, tempDir } from '../../../../support/helper.js'
import { sessionHarness } from '../../../../support/session.js'

const userText = (request: any) =>
  request.body.messages
    .filter((m: any) => m.role === 'user')
    .map((m: any) => (typeof m.content === 'string' ? m.content : m.content.map((c: any) => c.text ?? '').join('\n')))
    .join('\n')

describe('plugin: session (commands and init)', () => {
  afterEach(cleanup)

  describe('template expansion', () => {
    it('splits arguments with quotes', () => {
      expect(splitArguments(`a "b c" 'd e' f`)).to.deep.equal(['a', 'b c', 'd e', 'f'])
      expect(splitArguments('   ')).to.deep.equal([])
    })

    it('fills $1…, lets the highest take the rest, $ARGUMENTS takes everything', () => {
      expect(fillArguments('x=$1 y=$2 all=$ARGUMENTS', 'one "two three" four')).to.equal(
        'x=one y=two three four all=one "two three" four',
      )
      expect(fillArguments('x=$1 z=$3', 'a')).to.equal('x=a z=')
      expect(fillArguments('Do it.', 'now please')).to.equal('Do it.\n\nnow please')
      expect(fillArguments('Do it.', '  ')).to.equal('Do it.')
      expect(fillArguments('$10 then $2', 'a b c d e f g h i j k')).to.equal('j k then b')
    })

    it('finds @file references without trailing punctuation', () => {
      expect(fileReferences('see @src/a.ts, @./docs. and mail@example.com or `@x`')).to.deep.equal([
        'src/a.ts',
        './docs',
      ])
    })

    it('parses provider/model strings', () => {
      expect(parseModel('openrouter/anthropic/claude')).to.deep.equal({
        providerID: 'openrouter',
        modelID: 'anthropic/claude',
      })
      expect(() => parseModel('nomodel')).to.throw('Invalid model')
    })
  })

  it('expands every placeholder kind, prompts with it and publishes command.executed', async () => {
    const outside = tempDir()
    writeFileSync(join(outside, 'secret.txt'), 'TOP SECRET')
    const h = await sessionHarness({
      files: { 'notes.md': 'the notes say hi\n', 'docs/guide.md': 'guide\n' },
      config: {
        command: {
          greet: {
            template:
              'Hello $1 and $2! All: $ARGUMENTS. Branch: !`git rev-parse --abbrev-ref HEAD`. Read @notes.md and @docs and @leak.txt and @nothing.txt.',
            description: 'greets',
          },
        },
      },
    })
    symlinkSync(join(outside, 'secret.txt'), join(h.repo, 'leak.txt'))
    h.llm.script({ text: 'Greeted.' })
    const session = await h.createSession()
    const response = await h.call('POST', `/session/${session.id}/command`, {
      command: 'greet',
      arguments: 'Ann "Bob Smith" extra',
    })
    expect(response.status).to.equal(200)
    expect(response.body.info.role).to.equal('assistant')
    expect(response.body.parts.find((p: any) => p.type === 'text').text).to.equal('Greeted.')

    const sent = userText(h.llm.requests[0])
    expect(sent).to.contain('Hello Ann and Bob Smith extra! All: Ann "Bob Smith" extra. Branch: main.')
    expect(sent).to.contain('the notes say hi')
    expect(sent).to.contain('Listing of directory docs:\nguide.md')
    expect(sent).not.to.contain('TOP SECRET')

    const [user] = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(user.parts.filter((p: any) => p.type === 'file').map((p: any) => p.filename)).to.deep.equal([
      'notes.md',
      'docs',
    ])
    const executed = h.events.find((e) => e.type === 'command.executed')
    expect(executed?.properties).to.deep.equal({
      name: 'greet',
      sessionID: session.id,
      arguments: 'Ann "Bob Smith" extra',
      messageID: response.body.info.id,
    })
  })

  it('answers 404 for an unknown command and 400 for a bad agent or model, storing nothing', async () => {
    const h = await sessionHarness()
    const session = await h.createSession()
    const missing = await h.call('POST', `/session/${session.id}/command`, { command: 'nope', arguments: '' })
    expect(missing.status).to.equal(404)
    expect(missing.body.data.message).to.equal('Command not found: nope')
    expect(
      (await h.call('POST', `/session/${session.id}/command`, { command: 'init', arguments: '', agent: 'nobody' }))
        .status,
    ).to.equal(400)
    expect(
      (await h.call('POST', `/session/${session.id}/command`, { command: 'init', arguments: '', model: 'no-slash' }))
        .status,
    ).to.equal(400)
    expect(
      (
        await h.call('POST', `/session/${session.id}/command`, {
          command: 'init',
          arguments: '',
          model: 'scripted/unknown',
        })
      ).status,
    ).to.equal(400)
    expect((await h.call('POST', `/session/${session.id}/command`, { command: 'init' })).status).to.equal(400)
    expect((await h.call('POST', '/session/ses_nope/command', { command: 'init', arguments: '' })).status).to.equal(404)
    expect((await h.call('GET', `/session/${session.id}/message`)).body).to.deep.equal([])
    expect(h.llm.requests).to.have.length(0)
  })

  it('runs a subtask command in a child session and continues with its result', async () => {
    const h = await sessionHarness({
      config: {
        command: {
          research: { template: 'Find out about $ARGUMENTS', agent: 'general', subtask: true, description: 'research' },
        },
      },
    })
    h.llm.script({ text: 'The child found 42.' }, { text: 'The answer is 42.' })
    const session = await h.createSession()
    const response = await h.call('POST', `/session/${session.id}/command`, {
      command: 'research',
      arguments: 'the answer',
    })
    expect(response.status).to.equal(200)
    expect(response.body.parts.find((p: any) => p.type === 'text').text).to.equal('The answer is 42.')

    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(messages.map((m: any) => m.info.role)).to.deep.equal(['user', 'assistant', 'assistant'])
    expect(messages[0].parts[0]).to.include({
      type: 'subtask',
      agent: 'general',
      description: 'research',
      command: 'research',
      prompt: 'Find out about the answer',
    })
    expect(messages[0].info.agent).to.equal('build')
    const task = messages[1].parts[0]
    expect(task).to.include({ type: 'tool', tool: 'task' })
    expect(task.state.status).to.equal('completed')
    expect(task.state.output).to.contain('The child found 42.')

    const children = (await h.call('GET', `/session/${session.id}/children`)).body
    expect(children).to.have.length(1)
    const childMessages = (await h.call('GET', `/session/${children[0].id}/message`)).body
    expect(childMessages[0].parts[0].text).to.equal('Find out about the answer')
    expect(childMessages[0].info.agent).to.equal('general')
    // The parent's model call saw the task result.
    expect(JSON.stringify(h.llm.requests[1]!.body.messages)).to.contain('The child found 42.')
  })

  it('init runs the built-in command with the given model and message id, writing AGENTS.md', async () => {
    const h = await sessionHarness({
      files: { 'package.json': '{"scripts":{"test":"mocha"}}' },
      extraPlugins: ['project'],
    })
    expect((await h.call('GET', '/project/current')).body.time.initialized).to.equal(undefined)
    h.llm.script(
      { toolCalls: [{ name: 'write', args: { filePath: 'AGENTS.md', content: '# Agents\n\nRun `npm test`.\n' } }] },
      { text: 'Wrote AGENTS.md.' },
    )
    const session = await h.createSession()
    const messageID = ascendingId('msg')
    const response = await h.call('POST', `/session/${session.id}/init`, {
      messageID,
      providerID: 'scripted',
      modelID: 'test-model',
    })
    expect(response.status).to.equal(200)
    expect(response.body).to.equal(true)
    expect(readFileSync(join(h.repo, 'AGENTS.md'), 'utf8')).to.contain('npm test')
    expect((await h.call('GET', '/project/current')).body.time.initialized).to.be.a('number')
    expect(h.events.some((e: any) => e.type === 'project.updated' && e.properties.time.initialized)).to.equal(true)
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(messages[0].info.id).to.equal(messageID)
    expect(userText(h.llm.requests[0])).to.contain('AGENTS.md')
    expect(
      (await h.call('POST', `/session/${session.id}/init`, { providerID: 'scripted', modelID: 'test-model' })).status,
    ).to.equal(400)
  })

  it('reads markdown command files with frontmatter', async () => {
    const h = await sessionHarness()
    mkdirSync(join(h.repo, '.opencode', 'command'), { recursive: true })
    writeFileSync(join(h.repo, '.opencode', 'command', 'hi.md'), '---\ndescription: says hi\n---\nSay hi to $1.\n')
    h.llm.script({ text: 'Hi!' })
    const session = await h.createSession()
    expect(
      (await h.call('POST', `/session/${session.id}/command`, { command: 'hi', arguments: 'Zoe' })).status,
    ).to.equal(200)
    expect(userText(h.llm.requests[0])).to.contain('Say hi to Zoe.')
  })
})
