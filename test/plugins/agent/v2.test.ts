import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, gitRepo, listen, startServer, type TestServer } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

describe('agent: OpenCode 2.1 routes (/api/agent, /api/command, /api/skill)', () => {
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
    server = await startServer({ cwd: repo, only: ['agent'] })
    client = createOpencodeClient({ baseUrl: await listen(server) })
  })
  after(cleanup)

  const at = () => ({ location: { directory: repo } })
  const query = () => `location[directory]=${encodeURIComponent(repo)}`

  it("lists agents in OpenCode 2.1's shape, at the location asked for", async () => {
    const { data } = await client.v2.agent.list(at(), { throwOnError: true })
    expectMatches21('GET', '/api/agent', 200, data)
    expect(data!.location).to.deep.equal({ directory: repo })
    const ids = data!.data.map((agent) => agent.id)
    expect(ids).to.include.members(['build', 'plan', 'general', 'reviewer'])
    const reviewer = data!.data.find((agent) => agent.id === 'reviewer')!
    expect(reviewer).to.deep.include({
      name: 'reviewer',
      mode: 'subagent',
      system: 'Be strict.',
      description: 'Reviews code',
      hidden: false,
      steps: 3,
    })
    expect(reviewer.model).to.deep.equal({ id: 'm1', providerID: 'acme' })
    expect(reviewer.request).to.deep.equal({ settings: {}, headers: {}, body: { temperature: 0.2 } })
    expect(reviewer.permissions.length).to.be.greaterThan(0)
    expect(reviewer.permissions[0]).to.have.keys('action', 'resource', 'effect')
    // Built-in agents carry a display name, as OpenCode 2.1 shows them.
    expect(data!.data.find((agent) => agent.id === 'build')).to.deep.include({ name: 'Build', mode: 'primary' })
  })

  it('gets one agent, and answers 404 AgentNotFoundError for an id the location does not have', async () => {
    const one = await server.app.inject({ url: `/api/agent/reviewer?${query()}` })
    expect(one.statusCode).to.equal(200)
    expectMatches21('GET', '/api/agent/{agentID}', 200, one.json())
    const listed = (await server.app.inject({ url: `/api/agent?${query()}` })).json()
    expect(one.json().data).to.deep.equal(listed.data.find((agent: { id: string }) => agent.id === 'reviewer'))
    for (const id of ['nope', '__proto__', 'constructor', '%20', 'x'.repeat(256)]) {
      const missing = await server.app.inject({ url: `/api/agent/${id}?${query()}` })
      expect(missing.statusCode, id).to.equal(404)
      const agentID = decodeURIComponent(id)
      expect(missing.json(), id).to.deep.equal({
        _tag: 'AgentNotFoundError',
        agentID,
        message: `Agent not found: ${agentID}`,
      })
      expectMatches21('GET', '/api/agent/{agentID}', 404, missing.json())
    }
    const tooLong = await server.app.inject({ url: `/api/agent/${'x'.repeat(257)}?${query()}` })
    expect(tooLong.statusCode).to.equal(400)
    expectMatches21('GET', '/api/agent/{agentID}', 400, tooLong.json())
    const badLocation = await server.app.inject({ url: '/api/agent/build?location[directory]=nowhere' })
    // 400 InvalidRequestError, or OpenCode 2.1's 404 LocationNotFoundError where the kernel answers it.
    expect(badLocation.statusCode).to.be.oneOf([400, 404])
    expectMatches21('GET', '/api/agent/{agentID}', badLocation.statusCode, badLocation.json())
  })

  it('lists commands by name and description only', async () => {
    const { data } = await client.v2.command.list(at(), { throwOnError: true })
    expectMatches21('GET', '/api/command', 200, data)
    expect(data!.data.find((command) => command.name === 'hello')).to.deep.equal({
      name: 'hello',
      description: 'Greets',
    })
    expect(data!.data.map((command) => command.name)).to.include.members(['init', 'review'])
  })

  it('lists skills with their id, path and content', async () => {
    const { data } = await client.v2.skill.list(at(), { throwOnError: true })
    expectMatches21('GET', '/api/skill', 200, data)
    const tidy = data!.data.find((skill) => skill.name === 'tidy') as Record<string, unknown>
    expect(tidy).to.deep.equal({
      id: 'tidy',
      name: 'tidy',
      description: 'Tidies up',
      path: join(repo, '.opencode', 'skill', 'tidy', 'SKILL.md'),
      content: 'Tidy the code.\n',
    })
  })

  it('refuses a location that is not an absolute directory on every list', async () => {
    // 400 InvalidRequestError, or OpenCode 2.1's 404 LocationNotFoundError where the kernel answers it.
    for (const path of ['/api/agent', '/api/command', '/api/skill']) {
      const response = await server.app.inject({ url: `${path}?location[directory]=relative/dir` })
      expect(response.statusCode, path).to.be.oneOf([400, 404])
      expectMatches21('GET', path, response.statusCode, response.json())
    }
  })
})
