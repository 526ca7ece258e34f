import { expect } from 'chai'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BusEvent } from '../../../kernel/events/bus.js'
import { cleanup, gitRepo, startServer, tempDir } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

function write(path: string, value: unknown): string {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2))
  return path
}

const location = (directory: string) => `location%5Bdirectory%5D=${encodeURIComponent(directory)}`

/** A config in OpenCode 2.1's native form (section 1.5 of the reference, plus the smaller keys). */
const NATIVE = {
  model: { providerID: 'fake', model: 'fake-model' },
  providers: {
    fake: {
      name: 'Fake',
      package: 'aisdk:@ai-sdk/openai-compatible',
      settings: { baseURL: 'http://127.0.0.1:9/v1', apiKey: 'sk-native-secret' },
      models: {
        'fake-model': {
          name: 'Fake Model',
          capabilities: { tools: true, input: ['text', 'image'], output: ['text'] },
          limit: { context: 1000, output: 100 },
        },
        'old-model': { name: 'Old', disabled: true },
      },
    },
  },
  commands: { hello: { template: 'Say hello to $ARGUMENTS', model: { providerID: 'fake', model: 'fake-model' } } },
  agents: {
    helper: {
      mode: 'subagent',
      system: 'Be brief.',
      permissions: [{ action: 'shell', resource: '*', effect: 'deny' }],
    },
    title: { model: { providerID: 'fake', model: 'fake-model' } },
  },
  permissions: [
    { action: 'shell', resource: '*', effect: 'ask' },
    { action: 'shell', resource: 'git *', effect: 'allow' },
    { action: 'edit', resource: '*', effect: 'deny' },
  ],
  mcp: {
    timeout: { catalog: 3000 },
    servers: { docs: { type: 'remote', url: 'http://127.0.0.1:9/mcp', disabled: true } },
  },
  plugins: ['plugin-a', { package: 'plugin-b', options: { level: 2 } }],
  skills: ['./skills', 'https://example.com/skills'],
  snapshots: false,
  update: 'notify',
  username: 'ada',
}

describe('config: OpenCode 2.1', () => {
  afterEach(cleanup)

  it('reads a 2.1-native opencode.json in the 1.x form every plugin uses (GET /config shows it)', async () => {
    const project = tempDir()
    write(join(project, 'opencode.json'), NATIVE)
    const server = await startServer({ only: ['core', 'config'] })
    const response = await server.app.inject({ url: `/config?directory=${encodeURIComponent(project)}` })
    expect(response.statusCode, response.body).to.equal(200)
    expect(response.json()).to.deep.equal({
      model: 'fake/fake-model',
      small_model: 'fake/fake-model',
      provider: {
        fake: {
          name: 'Fake',
          npm: '@ai-sdk/openai-compatible',
          options: { baseURL: 'http://127.0.0.1:9/v1', apiKey: 'sk-native-secret' },
          models: {
            'fake-model': {
              name: 'Fake Model',
              tool_call: true,
              attachment: true,
              modalities: { input: ['text', 'image'], output: ['text'] },
              limit: { context: 1000, output: 100 },
            },
            'old-model': { name: 'Old' },
          },
          blacklist: ['old-model'],
        },
      },
      command: { hello: { template: 'Say hello to $ARGUMENTS', model: 'fake/fake-model' } },
      agent: {
        helper: { mode: 'subagent', prompt: 'Be brief.', permission: { bash: 'deny' } },
        title: { model: 'fake/fake-model' },
      },
      permission: { bash: { '*': 'ask', 'git *': 'allow' }, edit: 'deny' },
      mcp: { docs: { type: 'remote', url: 'http://127.0.0.1:9/mcp', enabled: false } },
      experimental: { mcp_timeout: 3000 },
      plugin: ['plugin-a', ['plugin-b', { level: 2 }]],
      skills: { paths: ['./skills'], urls: ['https://example.com/skills'] },
      snapshot: false,
      autoupdate: 'notify',
      username: 'ada',
    })
  })

  it('lets the agents and commands of a native config reach the agent plugin', async () => {
    const project = tempDir()
    write(join(project, 'opencode.json'), { agents: NATIVE.agents, commands: NATIVE.commands })
    const server = await startServer({ only: ['core', 'config', 'agent'] })
    const agents = (await server.app.inject({ url: `/agent?directory=${encodeURIComponent(project)}` })).json()
    const helper = agents.find((agent: { name: string }) => agent.name === 'helper')
    expect(helper).to.include({ mode: 'subagent', prompt: 'Be brief.' })
    expect(helper.permission).to.deep.include({ permission: 'bash', pattern: '*', action: 'deny' })
    const commands = (await server.app.inject({ url: `/command?directory=${encodeURIComponent(project)}` })).json()
    expect(commands.find((command: { name: string }) => command.name === 'hello')).to.include({
      template: 'Say hello to $ARGUMENTS',
      model: 'fake/fake-model',
    })
  })

  it('keeps the 1.x keys of a file that mixes both forms, merged over the translated ones', async () => {
    const project = tempDir()
    write(join(project, 'opencode.json'), {
      providers: { a: { name: 'Native A', package: 'aisdk:pkg-a' }, b: { name: 'Native B' } },
      provider: { a: { name: 'Legacy A' } },
      model: 'x/y',
    })
    const server = await startServer({ only: ['core', 'config'] })
    const config = (await server.app.inject({ url: `/config?directory=${encodeURIComponent(project)}` })).json()
    expect(config.provider).to.deep.equal({ a: { name: 'Legacy A', npm: 'pkg-a' }, b: { name: 'Native B' } })
    expect(config.model).to.equal('x/y')
  })

  it('GET /api/config lists the documents lowest priority first, in the native form, secrets masked', async () => {
    const repo = gitRepo()
    const legacy = {
      provider: {
        fake: {
          npm: '@ai-sdk/openai-compatible',
          name: 'Fake',
          options: { baseURL: 'http://127.0.0.1:1/v1', apiKey: 'secret-key' },
          models: { 'fake-model': { name: 'Fake Model', tool_call: true } },
        },
      },
      model: 'fake/fake-model',
      small_model: 'fake/fake-model',
      theme: 'dark',
      agent: { helper: { mode: 'subagent', prompt: 'hi', model: 'fake/fake-model', permission: { bash: 'ask' } } },
      command: { hello: { template: 'Say $ARGUMENTS', model: 'fake/fake-model', subtask: true } },
      permission: { bash: { '*': 'ask', 'git *': 'allow' }, edit: 'deny' },
      mcp: { x: { type: 'local', command: ['echo'], enabled: false, environment: { API_TOKEN: 't0k3n', MODE: 'x' } } },
      plugin: ['foo-plugin'],
      snapshot: false,
      autoupdate: 'notify',
    }
    write(join(repo, 'opencode.json'), legacy)
    write(join(repo, '.opencode', 'opencode.json'), { username: 'bob' })
    const server = await startServer({ only: ['core', 'config'], cwd: repo })
    const globalFile = write(join(server.configHome, 'opencode', 'opencode.jsonc'), '{ "shell": "/bin/sh" }')
    const response = await server.app.inject({ url: `/api/config?${location(repo)}` })
    expect(response.statusCode, response.body).to.equal(200)
    expectMatches21('GET', '/api/config', 200, response.json())
    expect(response.body).not.to.contain('secret-key')
    expect(response.body).not.to.contain('t0k3n')
    expect(response.json()).to.deep.equal([
      { type: 'document', path: globalFile, info: { shell: '/bin/sh' } },
      { type: 'directory', path: join(server.configHome, 'opencode') },
      {
        type: 'document',
        path: join(repo, 'opencode.json'),
        info: {
          model: { providerID: 'fake', model: 'fake-model' },
          update: 'notify',
          permissions: [
            { action: 'shell', resource: '*', effect: 'ask' },
            { action: 'shell', resource: 'git *', effect: 'allow' },
            { action: 'edit', resource: '*', effect: 'deny' },
          ],
          agents: {
            helper: {
              model: { providerID: 'fake', model: 'fake-model' },
              system: 'hi',
              mode: 'subagent',
              permissions: [{ action: 'shell', resource: '*', effect: 'ask' }],
            },
            title: { model: { providerID: 'fake', model: 'fake-model' } },
          },
          snapshots: false,
          mcp: {
            servers: {
              x: {
                type: 'local',
                command: ['echo'],
                environment: { API_TOKEN: '********', MODE: 'x' },
                disabled: true,
              },
            },
          },
          commands: {
            hello: { template: 'Say $ARGUMENTS', model: { providerID: 'fake', model: 'fake-model' }, subagent: true },
          },
          plugins: ['foo-plugin'],
          providers: {
            fake: {
              name: 'Fake',
              package: 'aisdk:@ai-sdk/openai-compatible',
              settings: { baseURL: 'http://127.0.0.1:1/v1', apiKey: '********' },
              models: {
                'fake-model': {
                  name: 'Fake Model',
                  capabilities: { tools: true, input: ['text', 'image'], output: ['text'] },
                },
              },
            },
          },
        },
      },
      { type: 'document', path: join(repo, '.opencode', 'opencode.json'), info: { username: 'bob' } },
      { type: 'directory', path: join(repo, '.opencode') },
    ])
  })

  it('GET /api/config shows a native document as it was written (secrets masked)', async () => {
    const project = tempDir()
    write(join(project, 'opencode.json'), NATIVE)
    const server = await startServer({ only: ['core', 'config'] })
    const response = await server.app.inject({ url: `/api/config?${location(project)}` })
    expect(response.statusCode, response.body).to.equal(200)
    expectMatches21('GET', '/api/config', 200, response.json())
    const document = response.json().find((entry: { path?: string }) => entry.path === join(project, 'opencode.json'))
    const { providers, mcp, ...rest } = document.info
    const { providers: expectedProviders, mcp: expectedMcp, ...expectedRest } = NATIVE
    expect(rest).to.deep.equal(expectedRest)
    expect(mcp).to.deep.equal({ timeout: { catalog: 3000, execution: 3000 }, servers: expectedMcp.servers })
    expect(providers.fake.settings).to.deep.equal({ baseURL: 'http://127.0.0.1:9/v1', apiKey: '********' })
    expect(providers.fake.models['fake-model']).to.deep.equal(expectedProviders.fake.models['fake-model'])
  })

  it('GET /api/config answers 400 for a file the schema refuses, naming it', async () => {
    const project = tempDir()
    write(join(project, 'opencode.json'), { agents: { helper: { mode: 'sideways' } } })
    const server = await startServer({ only: ['core', 'config'] })
    const response = await server.app.inject({ url: `/api/config?${location(project)}` })
    expect(response.statusCode).to.equal(400)
    expect(response.json()).to.include({ _tag: 'ConfigInvalidError' })
    expect(response.json().message).to.contain(join(project, 'opencode.json'))
  })

  it('GET /api/config/shell lists the executable shells of the machine', async () => {
    const server = await startServer({ only: ['core', 'config'] })
    const response = await server.app.inject({ url: '/api/config/shell' })
    expect(response.statusCode).to.equal(200)
    expectMatches21('GET', '/api/config/shell', 200, response.json())
    const shells = response.json() as { path: string; name: string; acceptable: boolean }[]
    expect(shells.map((shell) => shell.name)).to.include('sh')
    for (const shell of shells) {
      expect(existsSync(shell.path), shell.path).to.equal(true)
      expect(shell.acceptable).to.equal(!['fish', 'nu'].includes(shell.name))
    }
  })

  it('PATCH /api/experimental/config sets and removes the global shell, keeping comments; config.updated', async () => {
    const server = await startServer({ only: ['core', 'config'] })
    const file = write(join(server.configHome, 'opencode', 'opencode.jsonc'), '{\n  // mine\n  "username": "ada"\n}\n')
    const events: BusEvent[] = []
    server.kernel.bus.subscribe((event) => events.push(event))
    const patch = (payload: unknown) =>
      server.app.inject({ method: 'PATCH', url: '/api/experimental/config', payload: payload as object })

    const set = await patch({ shell: '/bin/sh' })
    expect(set.statusCode, set.body).to.equal(204)
    expect(set.body).to.equal('')
    expect(readFileSync(file, 'utf8')).to.contain('// mine').and.to.contain('"shell": "/bin/sh"')
    expect((await server.app.inject({ url: '/global/config' })).json()).to.include({
      shell: '/bin/sh',
      username: 'ada',
    })
    expect(events.some((event) => event.payload.type === 'config.updated')).to.equal(true)

    const removed = await patch({ shell: null })
    expect(removed.statusCode).to.equal(204)
    expect(readFileSync(file, 'utf8')).not.to.contain('shell')
    expect(readFileSync(file, 'utf8')).to.contain('"username": "ada"')
  })

  it('PATCH /api/experimental/config refuses a shell that is missing or not executable, and bad bodies; nothing written', async () => {
    const server = await startServer({ only: ['core', 'config'] })
    const file = write(join(server.configHome, 'opencode', 'opencode.json'), '{ "username": "ada" }\n')
    const notExecutable = write(join(tempDir(), 'not-a-shell'), '#!/bin/sh\n')
    chmodSync(notExecutable, 0o644)
    for (const payload of [
      { shell: '/nonexistent/bash' },
      { shell: notExecutable },
      { shell: 'bash' },
      { shell: tempDir() },
      { shell: 5 },
      {},
    ]) {
      const response = await server.app.inject({ method: 'PATCH', url: '/api/experimental/config', payload })
      expect(response.statusCode, JSON.stringify(payload)).to.equal(400)
      expectMatches21('PATCH', '/api/experimental/config', 400, response.json())
    }
    const noBody = await server.app.inject({ method: 'PATCH', url: '/api/experimental/config' })
    expect(noBody.statusCode).to.equal(400)
    expect(readFileSync(file, 'utf8')).to.equal('{ "username": "ada" }\n')
  })
})
