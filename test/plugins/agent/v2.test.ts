import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, gitRepo, listen, startServer, type TestServer } from '../../support/helper.js'
import { expectMatchesReference } from '../../support/openapi.js'

describe('agent: v2 routes', () => {
  let server: TestServer
  let repo: string
  let client: ReturnType<typeof createOpencodeClient>
  before(async () => {
    repo = realpathSync(
      gitRepo({
        'opencode.json': JSON.stringify({
          agent: {
            reviewer: {
              description: 'Reviews code',
              mode: 'subagent',
              prompt: 'Be strict.',
              model: 'acme/m1',
              temperature: 0.2,
              steps: 3,
            },
          },
          command: { hello: { template: 'Say hello to $1', description: 'Greets', model: 'acme/m2', subtask: true } },
        }),
      }),
    )
    mkdirSync(join(repo, '.opencode', 'skill', 'tidy'), { recursive: true })
    writeFileSync(
      join(repo, '.opencode', 'skill', 'tidy', 'SKILL.md'),
      '---\nname: tidy\ndescription: Tidies up\n---\nTidy the code.\n',
    )
    server = await startServer({ cwd: repo })
    client = createOpencodeClient({ baseUrl: await listen(server) })
  })
  after(cleanup)

  it('lists agents as AgentV2Info with their location', async () => {
    const { data } = await client.v2.agent.list({ location: { directory: repo } }, { throwOnError: true })
    expectMatchesReference('GET', '/api/agent', 200, data)
    expect(data!.location.directory).to.equal(repo)
    const ids = data!.data.map((agent) => agent.id)
    expect(ids).to.include.members(['build', 'plan', 'general', 'reviewer'])
    const reviewer = data!.data.find((agent) => agent.id === 'reviewer')!
    expect(reviewer).to.deep.include({
      mode: 'subagent',
      system: 'Be strict.',
      description: 'Reviews code',
      hidden: false,
      steps: 3,
    })
    expect(reviewer.model).to.deep.equal({ id: 'm1', providerID: 'acme' })
    expect(reviewer.request.body).to.deep.include({ temperature: 0.2 })
    expect(reviewer.permissions.length).to.be.greaterThan(0)
    expect(reviewer.permissions[0]).to.have.keys('action', 'resource', 'effect')
  })

  it('lists commands with their model as a ModelRef', async () => {
    const { data } = await client.v2.command.list({ location: { directory: repo } }, { throwOnError: true })
    expectMatchesReference('GET', '/api/command', 200, data)
    const hello = data!.data.find((command) => command.name === 'hello')!
    expect(hello).to.deep.equal({
      name: 'hello',
      template: 'Say hello to $1',
      description: 'Greets',
      model: { providerID: 'acme', id: 'm2' },
      subtask: true,
    })
    expect(data!.data.map((command) => command.name)).to.include('init')
  })

  it('lists skills with their content', async () => {
    const { data } = await client.v2.skill.list({ location: { directory: repo } }, { throwOnError: true })
    expectMatchesReference('GET', '/api/skill', 200, data)
    const tidy = data!.data.find((skill) => skill.name === 'tidy')!
    expect(tidy.description).to.equal('Tidies up')
    expect(tidy.content.trim()).to.equal('Tidy the code.')
    expect(tidy.location).to.equal(join(repo, '.opencode', 'skill', 'tidy', 'SKILL.md'))
  })
})
