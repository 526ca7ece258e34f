import { expect } from 'chai'
import { cleanup } from '../../support/helper.js'
import { sessionHarness } from '../../support/session.js'

const SKILL = '---\nname: release\ndescription: How to cut a release\n---\n\nRun the tests, then tag the commit.\n'

describe('tool: skill', () => {
  afterEach(cleanup)

  it('loads a skill by name and lists the skills in its description', async () => {
    const h = await sessionHarness({ files: { '.opencode/skill/release/SKILL.md': SKILL } })
    h.llm.script(
      { toolCalls: [{ name: 'skill', args: { name: 'release' } }] },
      { toolCalls: [{ name: 'skill', args: { name: 'nope' } }] },
      { text: 'ok' },
    )
    const session = await h.createSession()
    await h.prompt(session.id, 'release it')
    const tool = (h.llm.requests[0]!.body.tools as any[]).find((t: any) => t.function.name === 'skill')
    expect(tool.function.description).to.contain('<name>release</name>').and.contain('How to cut a release')
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    const loaded = messages[1].parts.find((p: any) => p.type === 'tool').state
    expect(loaded).to.include({ status: 'completed', title: 'Loaded skill: release' })
    expect(loaded.output)
      .to.contain('<skill_content name="release">')
      .and.contain('Run the tests, then tag the commit.')
      .and.contain(`${h.repo}/.opencode/skill/release`)
    const missing = messages[2].parts.find((p: any) => p.type === 'tool').state
    expect(missing.error).to.equal('Skill "nope" not found. Available skills: release')
  })

  it('is not offered when the project has no skills', async () => {
    const h = await sessionHarness()
    h.llm.script({ text: 'ok' })
    const session = await h.createSession()
    await h.prompt(session.id, 'hi')
    expect((h.llm.requests[0]!.body.tools as any[]).map((t: any) => t.function.name)).to.not.include('skill')
  })
})
