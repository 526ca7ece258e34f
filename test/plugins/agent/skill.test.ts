import { expect } from 'chai'
import { join } from 'node:path'
import type { AgentInfo, SkillInfo } from '../../../plugins/agent/types.js'
import { cleanup, gitRepo, startServer, tempDir, type TestServer } from '../../support/helper.js'
import { decide, markdown, writeFiles } from '../../support/agent-files.js'

describe('plugin: agent (skills)', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({ only: ['core', 'agent'] })
  })
  after(cleanup)

  async function skills(directory: string, on: TestServer = server): Promise<SkillInfo[]> {
    const response = await on.app.inject({ url: `/skill?directory=${encodeURIComponent(directory)}` })
    expect(response.statusCode, response.body).to.equal(200)
    return response.json()
  }

  const skill = (name: string, description: string, body = `# ${name}\n`) =>
    markdown(`name: ${name}\ndescription: ${description}`, body)

  it('finds SKILL.md files in the project and answers name, description, location and content', async () => {
    const repo = writeFiles(gitRepo(), {
      '.opencode/skill/release-notes/SKILL.md': skill(
        'release-notes',
        'Writes release notes',
        '\n# Release notes\nUse the changelog.\n',
      ),
      '.opencode/skills/db-migrate/SKILL.md': skill('db-migrate', 'Runs database migrations'),
      '.claude/skills/from-claude/SKILL.md': skill('from-claude', 'Shared with Claude Code'),
    })
    const list = await skills(repo)
    expect(list.find((item) => item.name === 'release-notes')).to.deep.equal({
      name: 'release-notes',
      description: 'Writes release notes',
      location: join(repo, '.opencode/skill/release-notes/SKILL.md'),
      content: '\n# Release notes\nUse the changelog.\n',
    })
    expect(list.map((item) => item.name)).to.include.members(['db-migrate', 'from-claude'])
  })

  it('finds skills in the global config directory and in nested project directories', async () => {
    const own = await startServer({ only: ['core', 'agent'] })
    writeFiles(join(own.configHome, 'opencode'), {
      'skill/global-one/SKILL.md': skill('global-one', 'Global skill'),
      'skills/global-two/SKILL.md': skill('global-two', 'Another global skill'),
    })
    const repo = writeFiles(gitRepo(), {
      '.opencode/skill/at-root/SKILL.md': skill('at-root', 'Root skill'),
      'web/.opencode/skill/in-web/SKILL.md': skill('in-web', 'Web skill'),
    })
    const inWeb = (await skills(join(repo, 'web'), own)).map((item) => item.name)
    expect(inWeb).to.include.members(['global-one', 'global-two', 'at-root', 'in-web'])
    expect((await skills(repo, own)).map((item) => item.name)).to.not.include('in-web')
    const instance = await own.kernel.instances.get(repo)
    expect((await own.app.skills.get(instance, 'global-one'))?.location).to.equal(
      join(own.configHome, 'opencode/skill/global-one/SKILL.md'),
    )
    expect(await own.app.skills.get(instance, 'nope')).to.equal(undefined)
  })

  it('reads the folders listed in config skills.paths', async () => {
    const shared = writeFiles(tempDir(), { 'team/code-style/SKILL.md': skill('code-style', 'Team code style') })
    const repo = writeFiles(gitRepo(), {
      'opencode.json': JSON.stringify({ skills: { paths: [shared, 'docs/skills'] } }),
      'docs/skills/doc-writer/SKILL.md': skill('doc-writer', 'Writes docs'),
    })
    expect((await skills(repo)).map((item) => item.name)).to.include.members(['code-style', 'doc-writer'])
  })

  it('leaves out a SKILL.md without name or description, and accepts names OpenCode accepts', async () => {
    const repo = writeFiles(gitRepo(), {
      '.opencode/skill/no-name/SKILL.md': markdown('description: has no name', 'x'),
      '.opencode/skill/no-description/SKILL.md': markdown('name: no-description', 'x'),
      '.opencode/skill/Odd_Name/SKILL.md': skill('Odd_Name', 'OpenCode does not enforce its documented name rule'),
      '.opencode/skill/good/SKILL.md': skill('good', 'A good skill'),
    })
    const names = (await skills(repo)).filter((item) => item.location.startsWith(repo)).map((item) => item.name)
    expect(names).to.have.members(['good', 'Odd_Name'])
  })

  it('answers ConfigInvalidError naming a SKILL.md with malformed frontmatter; agents and commands still work', async () => {
    const repo = writeFiles(gitRepo(), {
      '.opencode/skill/broken/SKILL.md': '---\nname: broken\ndescription: "unterminated\n---\nx\n',
      '.opencode/skill/fine/SKILL.md': skill('fine', 'Fine'),
    })
    const response = await server.app.inject({ url: `/skill?directory=${repo}` })
    expect(response.statusCode).to.equal(400)
    expect(response.json().name).to.equal('ConfigInvalidError')
    expect(response.json().data.path).to.equal(join(repo, '.opencode/skill/broken/SKILL.md'))
    expect((await server.app.inject({ url: `/agent?directory=${repo}` })).statusCode).to.equal(200)
    expect((await server.app.inject({ url: `/command?directory=${repo}` })).statusCode).to.equal(200)
    expect((await server.app.inject({ url: '/global/health' })).statusCode).to.equal(200)
  })

  it('lets agents read inside skill folders without asking', async () => {
    const own = await startServer({ only: ['core', 'agent'] })
    writeFiles(join(own.configHome, 'opencode'), {
      'skill/outside/SKILL.md': skill('outside', 'Lives outside the project'),
    })
    const repo = gitRepo()
    const agents: AgentInfo[] = (await own.app.inject({ url: `/agent?directory=${repo}` })).json()
    const build = agents.find((agent) => agent.name === 'build')!
    const folder = join(own.configHome, 'opencode/skill/outside')
    expect(decide(build.permission, 'external_directory', join(folder, 'scripts/run.sh'))).to.equal('allow')
    expect(decide(build.permission, 'external_directory', '/somewhere/else')).to.equal('ask')
  })

  it('sees a newly added skill', async () => {
    const repo = gitRepo()
    const instance = await server.kernel.instances.get(repo)
    const first = await server.app.skills.list(instance)
    expect(await server.app.skills.list(instance)).to.equal(first)
    writeFiles(repo, { '.opencode/skill/late/SKILL.md': skill('late', 'Added later') })
    expect((await server.app.skills.list(instance)).map((item) => item.name)).to.include('late')
    expect((await server.app.commands.get(instance, 'late'))?.source).to.equal('skill')
  })
})
