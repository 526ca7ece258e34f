// OpenCode 2.1's command, skill, shell, instruction entries and move inputs on `/api/session…`.
import { expect } from 'chai'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { markdown } from '../../../../support/agent-files.js'
import { expectMatches21 } from '../../../../support/openapi.js'
import { cleanup, onCleanup } from '../../../../support/helper.js'
import { sessionHarness, type SessionHarness } from '../../../../support/session.js'
import type { BusEvent } from '../../../../../kernel/events/bus.js'

describe('session: OpenCode 2.1 command, skill, shell, instructions, move', () => {
  let h: SessionHarness
  before(async () => {
    h = await sessionHarness({
      extraPlugins: ['shell', 'sync'],
      files: {
        '.opencode/command/greet.md': markdown('description: Greet', 'Say hello to $1, about $ARGUMENTS.\n'),
        '.opencode/skill/report/SKILL.md': markdown(
          'name: report\ndescription: Writes reports',
          'Always write the REPORT-SKILL-BODY.\n',
        ),
        '.opencode/command/ctx.md': markdown('description: Context', 'Read @notes.txt and !`echo BANG-OUT`\n'),
        'notes.txt': 'NOTES-CONTENT\n',
        'sub/keep.txt': 'x\n',
      },
    })
  })
  after(cleanup)
  /** The bus events as published (with where the durable log stored them). */
  const published: BusEvent[] = []
  before(() => onCleanup(h.server.kernel.bus.subscribe((event) => published.push(event), h.repo)))

  const create = async () => (await h.call('POST', '/api/session', { location: { directory: h.repo } })).body.data.id
  const wait = (sessionID: string) => h.call('POST', `/api/experimental/session/${sessionID}/wait`)
  const lastRequest = () => JSON.stringify(h.llm.requests.at(-1)!.body.messages)
  const messages = async (sessionID: string, type: string) =>
    (await h.call('GET', `/api/session/${sessionID}/message?order=asc&type=${type}`)).body.data

  it('runs a command: its template filled and admitted as the user prompt; unknown is a 404', async () => {
    const sessionID = await create()
    h.llm.script({ text: 'Hello Ada.' })
    const sent = await h.call('POST', `/api/session/${sessionID}/command`, { name: 'greet', text: 'Ada Lovelace' })
    expect(sent.status, JSON.stringify(sent.body)).to.equal(204)
    await wait(sessionID)
    expect(lastRequest()).to.include('Say hello to Ada Lovelace, about Ada Lovelace.')
    const [user] = await messages(sessionID, 'user')
    expect(user.text).to.equal('Say hello to Ada Lovelace, about Ada Lovelace.')

    // As v1's: `` !`cmd` `` output and the `@file` the template names, read at admission.
    h.llm.script({ text: 'Read.' })
    expect((await h.call('POST', `/api/session/${sessionID}/command`, { name: 'ctx', text: '' })).status).to.equal(204)
    await wait(sessionID)
    expect(lastRequest()).to.include('Read @notes.txt and BANG-OUT').and.include('NOTES-CONTENT')
    const [, withFile] = await messages(sessionID, 'user')
    expect(withFile.files.map((file: { name: string }) => file.name)).to.deep.equal(['notes.txt'])

    const unknown = await h.call('POST', `/api/session/${sessionID}/command`, { name: 'nope', text: '' })
    expect(unknown.status).to.equal(404)
    expectMatches21('POST', '/api/session/{sessionID}/command', 404, unknown.body)
    expect(unknown.body).to.deep.include({ _tag: 'CommandNotFoundError', command: 'nope' })
    const bad = await h.call('POST', `/api/session/${sessionID}/command`, { name: 'greet' })
    expect(bad.status).to.equal(400)
    expect(bad.body._tag).to.equal('InvalidRequestError')
    const badSkill = await h.call('POST', `/api/session/${sessionID}/command`, {
      name: 'greet',
      text: 'x',
      skills: [{ id: 'no-such-skill' }],
    })
    expect(badSkill.status).to.equal(400)
    expect(await messages(sessionID, 'user')).to.have.length(2)
    const gone = await h.call('POST', '/api/session/ses_nope/command', { name: 'greet', text: '' })
    expect(gone.status).to.equal(404)
    expectMatches21('POST', '/api/session/{sessionID}/command', 404, gone.body)
  })

  it('activates a skill: a skill message at once, the model reads it; resume:false waits; unknown is a 404', async () => {
    const sessionID = await create()
    const before = h.events.length
    const parked = await h.call('POST', `/api/experimental/session/${sessionID}/skill`, { id: 'report', resume: false })
    expect(parked.status, JSON.stringify(parked.body)).to.equal(204)
    const [skill] = await messages(sessionID, 'skill')
    expect(skill).to.deep.include({ type: 'skill', skill: 'report', name: 'report' })
    expect(skill.text).to.include('REPORT-SKILL-BODY')
    const activated = h.events.slice(before).find((event) => event.type === 'session.skill.activated')
    expect(activated?.properties).to.deep.include({ sessionID, id: 'report', name: 'report', text: skill.text })
    const logged = published.find((event) => event.payload.type === 'session.skill.activated')
    expect(logged?.durable).to.include({ aggregateID: sessionID })
    const all = await h.call('GET', `/api/session/${sessionID}/message`)
    expectMatches21('GET', '/api/session/{sessionID}/message', 200, all.body)
    expect((await h.call('GET', `/api/session/${sessionID}/inbox`)).body.data).to.have.length(1)
    const requests = h.llm.requests.length
    h.llm.script({ text: 'Reporting.' })
    await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'Go.' })
    await wait(sessionID)
    expect(h.llm.requests.length).to.be.greaterThan(requests)
    expect(lastRequest()).to.include('REPORT-SKILL-BODY')

    const unknown = await h.call('POST', `/api/experimental/session/${sessionID}/skill`, { id: 'nope' })
    expect(unknown.status).to.equal(404)
    expectMatches21('POST', '/api/experimental/session/{sessionID}/skill', 404, unknown.body)
    expect(unknown.body).to.deep.include({ _tag: 'SkillNotFoundError', skill: 'nope' })
    expect((await h.call('POST', `/api/experimental/session/${sessionID}/skill`, { name: 'x' })).status).to.equal(400)
    expect(await messages(sessionID, 'skill')).to.have.length(1)
    expect((await h.call('POST', '/api/experimental/session/ses_nope/skill', { id: 'report' })).status).to.equal(404)
  })

  it('runs a shell command at once: events, a shell message, its output steered in for the next run', async () => {
    const sessionID = await create()
    const before = h.events.length
    const requests = h.llm.requests.length
    const ran = await h.call('POST', `/api/session/${sessionID}/shell`, {
      command: 'echo shell-out; echo err >&2; exit 3',
    })
    expect(ran.status, JSON.stringify(ran.body)).to.equal(204)
    const types = h.events.slice(before).map((event) => event.type)
    expect(types).to.include.members(['session.shell.started', 'session.shell.ended'])
    const ended = h.events.slice(before).find((event) => event.type === 'session.shell.ended')!
    const logged = published.filter((event) => event.payload.type.startsWith('session.shell.'))
    expect(logged.map((event) => event.durable?.aggregateID)).to.deep.equal([sessionID, sessionID])
    const data = ended.properties as { shell: { status: string; exit: number }; output: { output: string } }
    expect(data.shell).to.deep.include({ status: 'exited', exit: 3 })
    expect(data.output.output).to.equal('shell-out\nerr\n')
    const [shell] = await messages(sessionID, 'shell')
    expect(shell).to.deep.include({ type: 'shell', command: 'echo shell-out; echo err >&2; exit 3', exit: 3 })
    expectMatches21('GET', '/api/session/{sessionID}/message', 200, {
      data: [shell],
      cursor: { previous: null, next: null },
    })
    const inbox = (await h.call('GET', `/api/session/${sessionID}/inbox`)).body.data
    expect(inbox).to.have.length(1)
    expect(inbox[0]).to.deep.include({ type: 'synthetic', delivery: 'steer' })
    expect(inbox[0].payload.text).to.match(
      /^The following shell command was executed by the user:\n<shell id="sh_[^"]+" state="completed" command="echo shell-out; echo err &gt;&amp;2; exit 3">\nshell-out\nerr\n\n<\/shell>$/,
    )
    expect(inbox[0].payload.metadata).to.deep.include({
      source: 'shell',
      state: 'completed',
      exit: 3,
      truncated: false,
    })
    expect(h.llm.requests.length).to.equal(requests) // no run started
    h.llm.script({ text: 'Saw it.' })
    await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'What happened?' })
    await wait(sessionID)
    expect(lastRequest()).to.include('shell-out')

    expect((await h.call('POST', `/api/session/${sessionID}/shell`, { command: 42 })).status).to.equal(400)
    expect((await h.call('POST', `/api/session/${sessionID}/shell`, { cmd: 'ls' })).status).to.equal(400)
    const gone = await h.call('POST', '/api/session/ses_nope/shell', { command: 'echo hi' })
    expect(gone.status).to.equal(404)
    expectMatches21('POST', '/api/session/{sessionID}/shell', 404, gone.body)
    expect(await messages(sessionID, 'shell')).to.have.length(1)
    // The client's id names the shell message; used again, it is a 400 and nothing runs.
    const named = await h.call('POST', `/api/session/${sessionID}/shell`, { command: 'true', id: 'msg_myshell1' })
    expect(named.status).to.equal(204)
    expect((await h.call('GET', `/api/session/${sessionID}/message/msg_myshell1`)).body.data).to.deep.include({
      type: 'shell',
      command: 'true',
    })
    const reused = await h.call('POST', `/api/session/${sessionID}/shell`, { command: 'echo no', id: 'msg_myshell1' })
    expect(reused.status).to.equal(400)
    expect(await messages(sessionID, 'shell')).to.have.length(2)
    await h.call(
      'DELETE',
      `/api/session/${sessionID}/inbox/${(await h.call('GET', `/api/session/${sessionID}/inbox`)).body.data[0].id}`,
    )
    // As 2.1: an empty command runs too, and says it printed nothing.
    expect((await h.call('POST', `/api/session/${sessionID}/shell`, { command: '' })).status).to.equal(204)
    const [empty] = (await h.call('GET', `/api/session/${sessionID}/inbox`)).body.data
    expect(empty.payload.text).to.include('command="">\n(no output)\n</shell>')
  })

  it('keeps instruction entries and adds them to the next step as context blocks', async () => {
    const sessionID = await create()
    const base = `/api/experimental/session/${sessionID}/instructions/entries`
    expect((await h.call('PUT', `${base}/ticket`, { value: { id: 'T-42', title: 'Fix login' } })).status).to.equal(204)
    expect((await h.call('PUT', `${base}/note.v1`, { value: 'plain words' })).status).to.equal(204)
    expect((await h.call('PUT', `${base}/gone`, { value: 1 })).status).to.equal(204)
    expect((await h.call('DELETE', `${base}/gone`)).status).to.equal(204)
    expect((await h.call('DELETE', `${base}/never`)).status).to.equal(204)
    const list = await h.call('GET', base)
    expectMatches21('GET', '/api/experimental/session/{sessionID}/instructions/entries', 200, list.body)
    expect(list.body.data).to.deep.equal([
      { key: 'note.v1', value: 'plain words' },
      { key: 'ticket', value: { id: 'T-42', title: 'Fix login' } },
    ])
    h.llm.script({ text: 'On it.' })
    await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'Start.' })
    await wait(sessionID)
    const system = JSON.stringify(h.llm.requests.at(-1)!.body.messages.filter((m) => m.role === 'system'))
    expect(system).to.include('<context key=\\"note.v1\\">plain words</context>')
    expect(system).to.include('T-42')
    const updates = () =>
      h.events
        .filter((event) => event.type === 'session.instructions.updated' && event.properties.sessionID === sessionID)
        .map((event) => event.properties as { delta: Record<string, string>; text: string })
    expect(Object.keys(updates()[0]!.delta)).to.deep.equal(['api/note.v1', 'api/ticket'])
    expect(updates()[0]!.delta['api/ticket']).to.match(/^[0-9a-f]{64}$/)
    const [notice] = await messages(sessionID, 'system')
    expect(notice).to.deep.include({
      description: 'Instructions updated: api/note.v1, api/ticket',
      metadata: { notice: 'instructions', instructionSources: ['api/note.v1', 'api/ticket'] },
    })
    expectMatches21('GET', '/api/session/{sessionID}/message', 200, {
      data: [notice],
      cursor: { previous: null, next: null },
    })
    // Only what changed is told again: a removal, and nothing for the entry left as it was.
    expect((await h.call('DELETE', `${base}/ticket`)).status).to.equal(204)
    h.llm.script({ text: 'Fine.' })
    await h.call('POST', `/api/session/${sessionID}/prompt`, { text: 'Again.' })
    await wait(sessionID)
    expect(updates()).to.have.length(2)
    expect(updates()[1]!.delta).to.deep.equal({ 'api/ticket': 'removed' })
    expect(JSON.stringify(h.llm.requests.at(-1)!.body.messages)).to.not.include('T-42')
    expect((await h.call('PUT', `${base}/ticket`, { value: 'back' })).status).to.equal(204)

    const large = await h.call('PUT', `${base}/big`, { value: 'x'.repeat(262_144) })
    expect(large.status).to.equal(413)
    expectMatches21('PUT', '/api/experimental/session/{sessionID}/instructions/entries/{key}', 413, large.body)
    expect(large.body).to.deep.include({ _tag: 'InstructionEntryValueTooLargeError', maxBytes: 262_144 })
    expect((await h.call('PUT', `${base}/Bad Key`, { value: 1 })).status).to.equal(400)
    expect((await h.call('PUT', `${base}/ok`, {})).status).to.equal(400)
    expect((await h.call('GET', base)).body.data).to.deep.equal([
      { key: 'note.v1', value: 'plain words' },
      { key: 'ticket', value: 'back' },
    ])
    expect((await h.call('GET', '/api/experimental/session/ses_nope/instructions/entries')).status).to.equal(404)
    expect(
      (await h.call('PUT', '/api/experimental/session/ses_nope/instructions/entries/a', { value: 1 })).status,
    ).to.equal(404)
  })

  it('moves a session to another directory of its project; a missing one is a 400', async () => {
    const sessionID = await create()
    mkdirSync(join(h.repo, 'sub'), { recursive: true })
    const moved = await h.call('POST', `/api/session/${sessionID}/move`, { directory: join(h.repo, 'sub') })
    expect(moved.status, JSON.stringify(moved.body)).to.equal(204)
    const info = await h.call('GET', `/api/session/${sessionID}`)
    expect(JSON.stringify(info.body)).to.include(join(h.repo, 'sub'))
    const [switched] = await messages(sessionID, 'location-switched')
    expect(switched).to.deep.include({ type: 'location-switched', subpath: 'sub' })
    const missing = await h.call('POST', `/api/session/${sessionID}/move`, { directory: join(h.repo, 'nope') })
    expect(missing.status).to.equal(400)
    expectMatches21('POST', '/api/session/{sessionID}/move', 400, missing.body)
    expect(missing.body.message).to.equal(`Directory does not exist: ${join(h.repo, 'nope')}`)
    expect((await h.call('POST', `/api/session/${sessionID}/move`, {})).status).to.equal(400)
    expect(await messages(sessionID, 'location-switched')).to.have.length(1)
    const gone = await h.call('POST', '/api/session/ses_nope/move', { directory: h.repo })
    expect(gone.status).to.equal(404)
  })
})
