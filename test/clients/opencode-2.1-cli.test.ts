import { expect } from 'chai'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, listen, tempDir } from '../support/helper.js'
import { opencodeBinary, runOpencode, type CliRun } from '../support/opencode-cli.js'
import { sessionHarness, type SessionHarness } from '../support/session.js'

/**
 * OpenCode 2.1.2's own `opencode run --server URL` against this server: the binary from npm,
 * the scripted LLM behind the session. What the user sees is what the test reads.
 */
describe('clients: OpenCode 2.1.2 `opencode run --server`', function () {
  this.timeout(120_000)
  let binary: string
  let h: SessionHarness
  let url: string
  let home: string

  before(async function () {
    this.timeout(400_000)
    binary = opencodeBinary('2.1.2')
    h = await sessionHarness({
      files: { 'notes.txt': 'The secret word is pineapple.\n' },
      config: { permission: { bash: 'ask' } },
      // Every built-in plugin, as `npm start` runs.
      server: { only: undefined },
    })
    url = await listen(h.server)
    home = tempDir('ok-oc2-home-')
  })
  after(cleanup)
  beforeEach(() => h?.llm.forget())

  const run = (args: string[]): Promise<CliRun> =>
    runOpencode(binary, ['run', '--server', url, ...args], { cwd: h.repo, home })
  const v1Sessions = async () => (await h.call('GET', `/session?directory=${encodeURIComponent(h.repo)}`)).body as any[]
  const texts = async (sessionID: string) =>
    ((await h.call('GET', `/session/${sessionID}/message?directory=${encodeURIComponent(h.repo)}`)).body as any[])
      .flatMap((message: any) => message.parts)
      .filter((part: any) => part.type === 'text')
      .map((part: any) => part.text as string)
  const expectAnswered = (result: CliRun, text: string) => {
    expect(result.code, `exit code; stderr: ${result.stderr}`).to.equal(0)
    expect(result.stdout + result.stderr, 'the answer is printed').to.include(text)
  }

  it('answers a prompt: a new session in the directory, the answer printed', async () => {
    h.llm.script({ text: ['Hello from ', 'the kernel.'] })
    const result = await run(['say hello'])
    expectAnswered(result, 'Hello from the kernel.')
    const sessions = await v1Sessions()
    expect(sessions).to.have.length(1)
    expect(sessions[0].directory).to.equal(h.repo)
    // One conversation: the 1.x view of the same session has both sides (the CLI sends a
    // multi-word argument quoted, as it does to OpenCode's own server).
    expect(await texts(sessions[0].id)).to.include.members(['"say hello"', 'Hello from the kernel.'])
  })

  it('--continue goes on in the last session; --session picks one; --fork copies it first', async () => {
    const [first] = await v1Sessions()
    h.llm.script({ text: 'Continued.' })
    expectAnswered(await run(['--continue', 'and then?']), 'Continued.')
    expect(await v1Sessions()).to.have.length(1)
    expect(await texts(first.id)).to.include('Continued.')

    h.llm.script({ text: 'Picked by id.' })
    expectAnswered(await run(['--session', first.id, 'once more']), 'Picked by id.')
    expect(await texts(first.id)).to.include('Picked by id.')

    h.llm.script({ text: 'In the fork.' })
    expectAnswered(await run(['--session', first.id, '--fork', 'in a fork']), 'In the fork.')
    const sessions = await v1Sessions()
    expect(sessions).to.have.length(2)
    const fork = sessions.find((session) => session.id !== first.id)
    expect(await texts(fork.id)).to.include.members(['"say hello"', 'In the fork.'])
    expect(await texts(first.id)).to.not.include('In the fork.')
  })

  it('--title, --agent and --model reach the session', async () => {
    h.llm.script({ text: 'Planned.' })
    const result = await run([
      '--title',
      'A titled run',
      '--agent',
      'plan',
      '--model',
      'scripted/test-model',
      'plan it',
    ])
    expectAnswered(result, 'Planned.')
    const session = (await v1Sessions()).find((item) => item.title === 'A titled run')
    expect(session, 'the titled session').to.not.equal(undefined)
    const messages = (await h.call('GET', `/session/${session.id}/message?directory=${encodeURIComponent(h.repo)}`))
      .body as any[]
    const assistant = messages.find((message) => message.info.role === 'assistant')
    expect(assistant.info).to.include({ agent: 'plan', providerID: 'scripted', modelID: 'test-model' })
  })

  it('--file attaches a file the model reads', async () => {
    h.llm.script({ text: 'The word is pineapple.' })
    expectAnswered(await run(['--file', 'notes.txt', 'what is the word?']), 'The word is pineapple.')
    const request = h.llm.requests.at(-1)!
    expect(JSON.stringify(request.body.messages)).to.include('pineapple')
  })

  it('runs a tool: a permission is rejected without --auto and approved with it', async () => {
    const marker = join(h.repo, 'ran.txt')
    h.llm.script(
      { toolCalls: [{ name: 'bash', args: { command: `echo ran > ${marker}`, description: 'Write a marker' } }] },
      { text: 'Tool turn done.' },
    )
    const rejected = await run(['run the tool'])
    expect(rejected.code, rejected.stderr).to.equal(0)
    expect(existsSync(marker)).to.equal(false)

    h.llm.script(
      { toolCalls: [{ name: 'bash', args: { command: `echo ran > ${marker}`, description: 'Write a marker' } }] },
      { text: 'Tool ran fine.' },
    )
    expectAnswered(await run(['--auto', 'run the tool again']), 'Tool ran fine.')
    expect(readFileSync(marker, 'utf8')).to.equal('ran\n')
  })
})
