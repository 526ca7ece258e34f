import { expect } from 'chai'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AgentInfo } from '../../../plugins/agent/types.js'
import { cleanup, gitRepo, startServer, type TestServer } from '../../support/helper.js'
import { decide, markdown, triples, writeFiles } from '../../support/agent-files.js'

describe('plugin: agent (agents)', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({ only: ['core', 'agent'] })
  })
  after(cleanup)

  async function agents(directory: string): Promise<AgentInfo[]> {
    const response = await server.app.inject({ url: `/agent?directory=${encodeURIComponent(directory)}` })
    expect(response.statusCode, response.body).to.equal(200)
    return response.json()
  }

  function find(list: AgentInfo[], name: string): AgentInfo {
    const agent = list.find((candidate) => candidate.name === name)
    expect(agent, `agent ${name}`).to.not.equal(undefined)
    return agent!
  }

  it('lists the built-in agents with their modes, hidden helpers included', async () => {
    const list = await agents(gitRepo())
    const modes = Object.fromEntries(
      list.map((agent) => [agent.name, [agent.mode, agent.hidden ?? false, agent.native]]),
    )
    expect(modes).to.deep.equal({
      build: ['primary', false, true],
      plan: ['primary', false, true],
      general: ['subagent', false, true],
      explore: ['subagent', false, true],
      title: ['primary', true, true],
      summary: ['primary', true, true],
      compaction: ['primary', true, true],
    })
    expect(list[0]!.name).to.equal('build')
    for (const name of ['title', 'summary', 'compaction', 'explore'])
      expect(find(list, name).prompt).to.be.a('string').and.not.equal('')
    expect(find(list, 'title').prompt).to.match(/50 characters/)
    for (const agent of list) expect(agent.options).to.deep.equal({})
  })

  it('gives each built-in its permission rules on top of the defaults', async () => {
    const list = await agents(gitRepo())
    const build = find(list, 'build').permission
    expect(triples(build).slice(0, 2)).to.deep.equal([
      ['*', '*', 'allow'],
      ['doom_loop', '*', 'ask'],
    ])
    expect(decide(build, 'edit')).to.equal('allow')
    expect(decide(build, 'bash', 'ls')).to.equal('allow')
    expect(decide(build, 'question')).to.equal('allow')
    expect(decide(build, 'read', '.env')).to.equal('ask')
    expect(decide(build, 'read', '.env.example')).to.equal('allow')
    expect(decide(build, 'external_directory', '/elsewhere')).to.equal('ask')

    const plan = find(list, 'plan').permission
    expect(triples(plan)).to.deep.include.members([
      ['edit', '*', 'ask'],
      ['bash', '*', 'ask'],
    ])
    expect(decide(plan, 'edit', 'src/a.ts')).to.equal('ask')
    expect(decide(plan, 'bash', 'rm -rf x')).to.equal('ask')
    expect(decide(plan, 'read', 'src/a.ts')).to.equal('allow')

    const explore = find(list, 'explore').permission
    for (const tool of ['edit', 'write', 'apply_patch', 'todowrite', 'task'])
      expect(decide(explore, tool), tool).to.equal('deny')
    for (const tool of ['read', 'grep', 'glob', 'list']) expect(decide(explore, tool), tool).to.equal('allow')
    expect(decide(explore, 'external_directory', '/elsewhere')).to.equal('ask')

    expect(decide(find(list, 'general').permission, 'todowrite')).to.equal('deny')
    for (const name of ['title', 'summary', 'compaction'])
      expect(decide(find(list, name).permission, 'read'), name).to.equal('deny')
  })

  it('overrides a built-in field by field from config and applies the rules in order', async () => {
    const repo = writeFiles(gitRepo(), {
      'opencode.json': JSON.stringify({
        permission: { bash: { 'rm *': 'deny' }, webfetch: 'ask' },
        agent: { build: { temperature: 0.7, permission: { edit: 'ask' }, tools: { webfetch: true } } },
      }),
    })
    const build = find(await agents(repo), 'build')
    expect(build.temperature).to.equal(0.7)
    expect(build.description)
      .to.be.a('string')
      .and.match(/default agent/)
    expect(build.native).to.equal(true)
    // Built-in defaults, build's own, the user's permission, then the agent's own config.
    expect(triples(build.permission).slice(-6)).to.deep.equal([
      ['question', '*', 'allow'],
      ['plan_enter', '*', 'allow'],
      ['bash', 'rm *', 'deny'],
      ['webfetch', '*', 'ask'],
      ['webfetch', '*', 'allow'],
      ['edit', '*', 'ask'],
    ])
    expect(decide(build.permission, 'bash', 'rm x')).to.equal('deny')
    expect(decide(build.permission, 'webfetch')).to.equal('allow')
    // `tools` stays on the service (OpenCode's /agent does not show it).
    expect(build).to.not.have.property('tools')
    const instance = await server.kernel.instances.get(repo)
    expect((await server.app.agents.get(instance, 'build'))?.tools).to.deep.equal({ webfetch: true })
  })

  it('reads a markdown agent: frontmatter fields and the body as its prompt', async () => {
    const repo = writeFiles(gitRepo(), {
      '.opencode/agent/reviewer.md': markdown(
        `
description: Reviews code
mode: subagent
model: anthropic/claude-sonnet-4/latest
temperature: 0.2
top_p: 0.9
color: "#ff8800"
steps: 5
variant: high
hidden: false
options:
  reasoning: low
custom_flag: yes please
tools:
  write: false
  bash: false
permission:
  bash:
    "git *": allow
  external_directory:
    "~/notes/*": allow
`,
        '\nYou review code.\nBe brief.\n\n',
      ),
    })
    const reviewer = find(await agents(repo), 'reviewer')
    const { permission, ...rest } = reviewer
    expect(rest).to.deep.equal({
      name: 'reviewer',
      description: 'Reviews code',
      mode: 'subagent',
      native: false,
      hidden: false,
      model: { providerID: 'anthropic', modelID: 'claude-sonnet-4/latest' },
      temperature: 0.2,
      topP: 0.9,
      color: '#ff8800',
      steps: 5,
      variant: 'high',
      options: { reasoning: 'low', custom_flag: 'yes please' },
      prompt: 'You review code.\nBe brief.',
    })
    // `tools: {write: false}` denies edits; an explicit `permission.bash` beats `tools.bash`.
    expect(triples(permission).slice(-3)).to.deep.equal([
      ['edit', '*', 'deny'],
      ['bash', 'git *', 'allow'],
      ['external_directory', join(server.kernel.paths.home, 'notes/*'), 'allow'],
    ])
    expect(decide(permission, 'edit')).to.equal('deny')
    expect(decide(permission, 'bash', 'git status')).to.equal('allow')
  })

  it('names agents by path (nested folders, agents/ too) and defaults their mode to all', async () => {
    const repo = writeFiles(gitRepo(), {
      '.opencode/agent/nested/deep.md': markdown('description: deep one', 'Deep'),
      '.opencode/agents/plural.md': markdown('description: from agents/\nmaxSteps: 3', 'Plural'),
      '.opencode/agent/colon.md': markdown('description: Use this agent when: you need it', 'Colon'),
    })
    const list = await agents(repo)
    expect(find(list, 'nested/deep')).to.include({ mode: 'all', prompt: 'Deep', description: 'deep one' })
    expect(find(list, 'plural')).to.include({ steps: 3, prompt: 'Plural' })
    expect(find(list, 'colon').description).to.equal('Use this agent when: you need it')
  })

  it('overrides a built-in from markdown, keeping the fields it does not set', async () => {
    const repo = writeFiles(gitRepo(), { '.opencode/agent/plan.md': markdown('temperature: 0.3', 'Plan differently.') })
    const plan = find(await agents(repo), 'plan')
    expect(plan).to.include({ mode: 'primary', native: true, temperature: 0.3, prompt: 'Plan differently.' })
    expect(decide(plan.permission, 'edit')).to.equal('ask')
  })

  it('adds agents from config agent and the deprecated mode key', async () => {
    const repo = writeFiles(gitRepo(), {
      'opencode.json': JSON.stringify({
        agent: {
          docs: { description: 'Writes docs', prompt: 'Write docs.', model: 'openai/gpt-5', permission: 'ask' },
        },
        mode: { legacy: { prompt: 'Old style' } },
      }),
    })
    const list = await agents(repo)
    const docs = find(list, 'docs')
    expect(docs).to.include({ mode: 'all', native: false, prompt: 'Write docs.' })
    expect(docs.model).to.deep.equal({ providerID: 'openai', modelID: 'gpt-5' })
    expect(triples(docs.permission).at(-1)).to.deep.equal(['*', '*', 'ask'])
    expect(find(list, 'legacy')).to.include({ mode: 'primary', prompt: 'Old style' })
  })

  it('removes agents marked disable, in config or markdown', async () => {
    const repo = writeFiles(gitRepo(), {
      'opencode.json': JSON.stringify({ agent: { general: { disable: true } } }),
      '.opencode/agent/explore.md': markdown('disable: true'),
    })
    const names = (await agents(repo)).map((agent) => agent.name)
    expect(names).to.not.include('general')
    expect(names).to.not.include('explore')
    expect(names).to.include('build')
  })

  it('uses default_agent when it names a visible primary agent, and lists it first', async () => {
    const repo = writeFiles(gitRepo(), {
      'opencode.json': JSON.stringify({ default_agent: 'docs', agent: { docs: { mode: 'primary', prompt: 'Docs' } } }),
    })
    const list = await agents(repo)
    expect(list[0]!.name).to.equal('docs')
    const instance = await server.kernel.instances.get(repo)
    expect((await server.app.agents.defaultAgent(instance)).name).to.equal('docs')
    expect((await server.app.agents.get(instance, 'docs'))?.prompt).to.equal('Docs')
    expect(await server.app.agents.get(instance, 'nope')).to.equal(undefined)
  })

  it('falls back to build when default_agent is a subagent, hidden or unknown', async () => {
    for (const name of ['general', 'title', 'nope']) {
      const repo = writeFiles(gitRepo(), { 'opencode.json': JSON.stringify({ default_agent: name }) })
      const instance = await server.kernel.instances.get(repo)
      expect((await server.app.agents.defaultAgent(instance)).name, name).to.equal('build')
    }
    const repo = writeFiles(gitRepo(), { 'opencode.json': JSON.stringify({ agent: { build: { disable: true } } }) })
    expect((await server.app.agents.defaultAgent(await server.kernel.instances.get(repo))).name).to.equal('plan')
  })

  it('reads .opencode folders from the worktree root down to the directory, deeper winning', async () => {
    const repo = writeFiles(gitRepo(), {
      '.opencode/agent/shared.md': markdown('description: from root', 'Root prompt'),
      '.opencode/agent/rooted.md': markdown('description: root only', 'Root'),
      'pkg/app/.opencode/agent/shared.md': markdown('description: from app'),
      'pkg/app/.opencode/agent/local.md': markdown('description: app only', 'Local'),
    })
    const inApp = await agents(join(repo, 'pkg/app'))
    expect(find(inApp, 'shared')).to.include({ description: 'from app', prompt: 'Root prompt' })
    expect(find(inApp, 'rooted').description).to.equal('root only')
    expect(find(inApp, 'local').description).to.equal('app only')
    const atRoot = await agents(repo)
    expect(find(atRoot, 'shared').description).to.equal('from root')
    expect(atRoot.map((agent) => agent.name)).to.not.include('local')
  })

  it('reads agents from the global config directory', async () => {
    const own = await startServer({ only: ['core', 'agent'] })
    writeFiles(join(own.configHome, 'opencode'), {
      'agent/global-helper.md': markdown('description: everywhere\nmode: subagent', 'Global'),
      'agents/other.md': markdown('description: plural global'),
    })
    const list: AgentInfo[] = (await own.app.inject({ url: `/agent?directory=${gitRepo()}` })).json()
    expect(find(list, 'global-helper')).to.include({ mode: 'subagent', prompt: 'Global' })
    expect(find(list, 'other').description).to.equal('plural global')
  })

  it('answers a ConfigInvalidError naming the file and line of malformed frontmatter, and keeps serving', async () => {
    const repo = writeFiles(gitRepo(), {
      '.opencode/agent/broken.md': '---\ndescription: fine\ntools: [unclosed\n---\nBody\n',
    })
    const response = await server.app.inject({ url: `/agent?directory=${repo}` })
    expect(response.statusCode).to.equal(400)
    const body = response.json()
    expect(body.name).to.equal('ConfigInvalidError')
    expect(body.data.path).to.equal(join(repo, '.opencode/agent/broken.md'))
    expect(body.data.line).to.equal(3)
    expect(body.data.message).to.contain('broken.md:3').and.contain('YAML')
    expect((await server.app.inject({ url: '/global/health' })).statusCode).to.equal(200)
    expect((await server.app.inject({ url: `/path?directory=${repo}` })).statusCode).to.equal(200)

    writeFileSync(join(repo, '.opencode/agent/broken.md'), markdown('description: fixed', 'Body'))
    expect(find(await agents(repo), 'broken').description).to.equal('fixed')
  })

  it('names the field of the wrong type, in markdown and in config', async () => {
    const repo = writeFiles(gitRepo(), {
      '.opencode/agent/hot.md': markdown('description: x\nmode: subagent\ntemperature: hot', 'x'),
    })
    const body = (await server.app.inject({ url: `/agent?directory=${repo}` })).json()
    expect(body.name).to.equal('ConfigInvalidError')
    expect(body.data).to.include({ path: join(repo, '.opencode/agent/hot.md'), line: 4 })
    expect(body.data.message).to.contain('temperature: must be a number')

    const other = writeFiles(gitRepo(), {
      'opencode.json': '{\n  "agent": {\n    "build": { "mode": "sometimes" }\n  }\n}\n',
    })
    const config = (await server.app.inject({ url: `/agent?directory=${other}` })).json()
    expect(config.name).to.equal('ConfigInvalidError')
    expect(config.data).to.include({ path: join(other, 'opencode.json'), line: 3 })
    expect(config.data.message).to.contain('agent.build.mode')
  })

  it('answers ConfigInvalidError for an invalid config file', async () => {
    const repo = writeFiles(gitRepo(), { 'opencode.json': '{ "agent": ' })
    const response = await server.app.inject({ url: `/agent?directory=${repo}` })
    expect(response.json().name).to.equal('ConfigInvalidError')
  })

  it('reuses the computed agents until a file or the config changes', async () => {
    const repo = writeFiles(gitRepo(), { '.opencode/agent/one.md': markdown('description: one') })
    const instance = await server.kernel.instances.get(repo)
    const first = await server.app.agents.list(instance)
    expect(await server.app.agents.list(instance)).to.equal(first)

    writeFiles(repo, { '.opencode/agent/two.md': markdown('description: two') })
    const second = await server.app.agents.list(instance)
    expect(second).to.not.equal(first)
    expect(second.map((agent) => agent.name)).to.include('two')

    writeFiles(repo, { '.opencode/agent/two.md': markdown('description: two, edited') })
    expect(find(await server.app.agents.list(instance), 'two').description).to.equal('two, edited')

    rmSync(join(repo, '.opencode/agent/one.md'))
    expect((await server.app.agents.list(instance)).map((agent) => agent.name)).to.not.include('one')

    writeFiles(repo, { 'opencode.json': JSON.stringify({ agent: { build: { temperature: 0.1 } } }) })
    server.kernel.invalidateConfig(instance)
    expect(find(await server.app.agents.list(instance), 'build').temperature).to.equal(0.1)
  })
})
