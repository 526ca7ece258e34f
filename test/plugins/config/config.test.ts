import { expect } from 'chai'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BusEvent } from '../../../kernel/events/bus.js'
import { cleanup, gitRepo, startServer, tempDir, type TestServer } from '../../support/helper.js'

/** Resolves with the properties of the next `config.updated` event for `directory` (or `global`). */
function nextConfigUpdated(server: TestServer, directory: string): Promise<BusEvent['payload']['properties']> {
  return new Promise((resolve) => {
    const unsubscribe = server.kernel.bus.subscribe((event) => {
      if (event.payload.type !== 'config.updated' || event.directory !== directory) return
      unsubscribe()
      resolve(event.payload.properties)
    })
  })
}

function write(path: string, text: string): string {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, text)
  return path
}

describe('plugin: config', () => {
  afterEach(cleanup)

  it("answers the merged config on GET /config/config and on OpenCode's GET /config", async () => {
    const project = tempDir()
    write(
      join(project, 'opencode.json'),
      JSON.stringify({ model: 'anthropic/claude', username: 'ada', custom_key: { kept: true } }),
    )
    const server = await startServer({ only: ['core', 'config'], cwd: project })
    const seed = await server.app.inject({ url: '/config/config' })
    expect(seed.statusCode).to.equal(200)
    expect(seed.json()).to.deep.equal({ model: 'anthropic/claude', username: 'ada', custom_key: { kept: true } })
    expect((await server.app.inject({ url: `/config?directory=${project}` })).json()).to.deep.equal(seed.json())
  })

  it('merges global < OPENCODE_CONFIG < project root < subdirectory < .opencode < OPENCODE_CONFIG_CONTENT', async () => {
    const repo = gitRepo()
    const sub = join(repo, 'packages', 'app')
    const custom = join(tempDir(), 'custom.json')
    write(
      custom,
      JSON.stringify({ username: 'custom', model: 'c/m', small_model: 'c', theme: 'c', default_agent: 'custom' }),
    )
    write(
      join(repo, 'opencode.json'),
      JSON.stringify({ username: 'root', model: 'r/m', small_model: 'r', theme: 'root', plugin: ['root-plugin'] }),
    )
    write(join(sub, 'opencode.jsonc'), '{ "username": "sub", "model": "s/m", "small_model": "sub" }')
    write(
      join(repo, '.opencode', 'opencode.json'),
      JSON.stringify({ username: 'root-dot', model: 'root-dot/m', layout: 'auto' }),
    )
    write(join(sub, '.opencode', 'opencode.json'), JSON.stringify({ username: 'sub-dot', model: 'sub-dot/m' }))
    const server = await startServer({
      only: ['core', 'config'],
      cwd: repo,
      env: { OPENCODE_CONFIG: custom, OPENCODE_CONFIG_CONTENT: '{"username": "content"}' },
    })
    write(
      join(server.configHome, 'opencode', 'opencode.json'),
      JSON.stringify({
        username: 'global',
        model: 'g/m',
        small_model: 'g',
        theme: 'g',
        default_agent: 'g',
        share: 'manual',
        plugin: ['global-plugin'],
      }),
    )
    const config = (await server.app.inject({ url: `/config?directory=${sub}` })).json()
    expect(config).to.deep.equal({
      username: 'content',
      model: 'sub-dot/m',
      small_model: 'sub',
      theme: 'root',
      default_agent: 'custom',
      share: 'manual',
      layout: 'auto',
      plugin: ['global-plugin', 'root-plugin'],
    })
  })

  it('substitutes {env:VAR} and {file:path}, and leaves {file:} in a commented-out line alone', async () => {
    const project = tempDir()
    write(join(project, 'prompts', 'build.txt'), 'Be "brief".\nThen stop.\n')
    write(
      join(project, 'opencode.jsonc'),
      `{
  "username": "{env:OK_TEST_USER}",
  // "model": "{file:./missing.txt}",
  "agent": { "build": { "prompt": "{file:./prompts/build.txt}" } },
}`,
    )
    const server = await startServer({ only: ['core', 'config'], cwd: project, env: { OK_TEST_USER: 'grace' } })
    const config = (await server.app.inject({ url: '/config' })).json()
    expect(config).to.deep.equal({ username: 'grace', agent: { build: { prompt: 'Be "brief".\nThen stop.' } } })
  })

  it('answers ConfigInvalidError naming file:line:column for malformed JSONC, and the server stays up', async () => {
    const project = tempDir()
    const file = write(join(project, 'opencode.json'), '{\n  "username": "x",\n  "model": \n}\n')
    const server = await startServer({ only: ['core', 'config'], cwd: project })
    const response = await server.app.inject({ url: '/config' })
    expect(response.statusCode).to.equal(400)
    const body = response.json()
    expect(body.name).to.equal('ConfigInvalidError')
    expect(body.data).to.include({ path: file, line: 4, column: 1 })
    expect(body.data.message).to.equal(`${file}:4:1: invalid JSON (ValueExpected)`)
    expect((await server.app.inject({ url: '/global/health' })).json()).to.include({ healthy: true })

    writeFileSync(file, '{"username": "fixed"}')
    await server.app.inject({ method: 'POST', url: '/instance/dispose' })
    expect((await server.app.inject({ url: '/config' })).json()).to.deep.equal({ username: 'fixed' })
  })

  it('answers ConfigInvalidError at the line of a value the schema refuses', async () => {
    const project = tempDir()
    const file = write(
      join(project, 'opencode.jsonc'),
      '{\n  // sharing\n  "share": "sometimes",\n  "username": "x"\n}\n',
    )
    const server = await startServer({ only: ['core', 'config'], cwd: project })
    const response = await server.app.inject({ url: '/config' })
    expect(response.statusCode).to.equal(400)
    expect(response.json().name).to.equal('ConfigInvalidError')
    expect(response.json().data.message).to.equal(
      `${file}:3:3: "share" must be equal to one of the allowed values ("manual", "auto", "disabled")`,
    )
  })

  it('PATCH merges into the project file, keeps comments, formatting and unknown keys, publishes and re-reads', async () => {
    const project = tempDir()
    const original = `{
    // The team's model; do not change without asking.
    "model": "anthropic/claude",
    "custom_key": { "kept": true }, // not OpenCode's
    "agent": { "plan": { "temperature": 0.5 } }
}
`
    const file = write(join(project, 'opencode.jsonc'), original)
    const server = await startServer({ only: ['core', 'config'], cwd: project })
    expect((await server.app.inject({ url: '/config' })).json().username).to.equal(undefined)
    const published = nextConfigUpdated(server, project)
    const response = await server.app.inject({
      method: 'PATCH',
      url: '/config/config',
      payload: {
        username: 'ada',
        agent: { build: { temperature: 0.1 } },
        mcp: { docs: { type: 'remote', url: 'https://example.com/mcp' } },
      },
    })
    expect(response.statusCode).to.equal(200)
    const expected = {
      model: 'anthropic/claude',
      custom_key: { kept: true },
      agent: { plan: { temperature: 0.5 }, build: { temperature: 0.1 } },
      username: 'ada',
      mcp: { docs: { type: 'remote', url: 'https://example.com/mcp' } },
    }
    expect(response.json()).to.deep.equal(expected)
    expect(await published).to.deep.equal(expected)
    const text = readFileSync(file, 'utf8')
    expect(text).to.include('    // The team\'s model; do not change without asking.\n    "model": "anthropic/claude",')
    expect(text).to.include('"custom_key": { "kept": true }, // not OpenCode\'s')
    expect(text).to.include('    "username": "ada"')
    expect(readdirSync(project)).to.deep.equal(['opencode.jsonc'])
    expect((await server.app.inject({ url: '/config' })).json()).to.deep.equal(expected)
  })

  it("PATCH on OpenCode's path creates opencode.json in a project that has none", async () => {
    const project = tempDir()
    const server = await startServer({ only: ['core', 'config'], cwd: project })
    const response = await server.app.inject({
      method: 'PATCH',
      url: `/config?directory=${project}`,
      payload: { username: 'new' },
    })
    expect(response.statusCode).to.equal(200)
    expect(JSON.parse(readFileSync(join(project, 'opencode.json'), 'utf8'))).to.deep.equal({ username: 'new' })
    expect((await server.app.inject({ url: `/config?directory=${project}` })).json()).to.deep.equal({ username: 'new' })
  })

  it('PATCH from a subdirectory writes the nearest existing file, and every instance sees it', async () => {
    const repo = gitRepo()
    const sub = join(repo, 'src')
    mkdirSync(sub)
    const file = write(join(repo, 'opencode.json'), '{ "username": "root" }\n')
    const server = await startServer({ only: ['core', 'config'], cwd: repo })
    expect((await server.app.inject({ url: `/config?directory=${repo}` })).json()).to.deep.equal({ username: 'root' })
    await server.app.inject({ method: 'PATCH', url: `/config?directory=${sub}`, payload: { theme: 'dark' } })
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal({ username: 'root', theme: 'dark' })
    expect((await server.app.inject({ url: `/config?directory=${repo}` })).json()).to.deep.equal({
      username: 'root',
      theme: 'dark',
    })
  })

  it('refuses an invalid PATCH with 400 and leaves the file byte for byte unchanged', async () => {
    const project = tempDir()
    const original = '{\n  // mine\n  "username": "ada"\n}\n'
    const file = write(join(project, 'opencode.jsonc'), original)
    const server = await startServer({ only: ['core', 'config'], cwd: project })
    const cases: [unknown, string][] = [
      [{ username: 5 }, 'username'],
      [{ share: 'sometimes' }, 'share'],
      [{ mcp: { docs: { type: 'local' } } }, 'mcp.docs.command'],
      [{ agent: { build: { color: 'red' } } }, 'agent.build.color'],
      [{ permission: { bash: 'maybe' } }, 'permission'],
      [{ lsp: 'off' }, 'lsp'],
      [[1, 2], 'body'],
    ]
    for (const [payload, field] of cases) {
      const response = await server.app.inject({ method: 'PATCH', url: '/config', payload: payload as object })
      expect(response.statusCode, JSON.stringify(payload)).to.equal(400)
      expect(response.json().name).to.equal('BadRequest')
      expect(response.json().data.message, JSON.stringify(payload)).to.include(field)
    }
    expect(readFileSync(file, 'utf8')).to.equal(original)
    expect((await server.app.inject({ url: '/config' })).json()).to.deep.equal({ username: 'ada' })
  })

  it('refuses to edit a file that does not parse, naming where', async () => {
    const project = tempDir()
    const original = '{ "username": \n'
    const file = write(join(project, 'opencode.json'), original)
    const server = await startServer({ only: ['core', 'config'], cwd: project })
    const response = await server.app.inject({ method: 'PATCH', url: '/config', payload: { username: 'x' } })
    expect(response.statusCode).to.equal(400)
    expect(response.json().name).to.equal('ConfigInvalidError')
    expect(response.json().data.path).to.equal(file)
    expect(readFileSync(file, 'utf8')).to.equal(original)
  })

  it('refuses a PATCH while another config file is invalid, naming that file, and writes nothing', async () => {
    const project = tempDir()
    const server = await startServer({ only: ['core', 'config'], cwd: project })
    const globalFile = write(join(server.configHome, 'opencode', 'opencode.json'), '{\n  "share": "sometimes"\n}\n')
    const response = await server.app.inject({ method: 'PATCH', url: '/config', payload: { username: 'x' } })
    expect(response.statusCode).to.equal(400)
    expect(response.json().name).to.equal('ConfigInvalidError')
    expect(response.json().data.message).to.match(new RegExp(`^${globalFile}:2:3: "share"`))
    expect(readdirSync(project)).to.deep.equal([])
    // The broken file itself can be fixed through the API.
    const fixed = await server.app.inject({ method: 'PATCH', url: '/global/config', payload: { share: 'manual' } })
    expect(fixed.statusCode).to.equal(200)
    expect(fixed.json()).to.deep.equal({ share: 'manual' })
  })

  it('GET and PATCH /global/config read and edit the global file; every instance sees the change', async () => {
    const project = tempDir()
    const server = await startServer({ only: ['core', 'config'], cwd: project })
    const file = write(
      join(server.configHome, 'opencode', 'opencode.jsonc'),
      '{\n  // global\n  "theme": "light",\n}\n',
    )
    write(join(project, 'opencode.json'), '{"username": "local"}')
    expect((await server.app.inject({ url: '/global/config' })).json()).to.deep.equal({ theme: 'light' })
    expect((await server.app.inject({ url: '/config' })).json()).to.deep.equal({ theme: 'light', username: 'local' })

    const published = nextConfigUpdated(server, 'global')
    const response = await server.app.inject({
      method: 'PATCH',
      url: '/global/config',
      payload: { theme: 'dark', autoupdate: 'notify' },
    })
    expect(response.statusCode).to.equal(200)
    expect(response.json()).to.deep.equal({ theme: 'dark', autoupdate: 'notify' })
    expect(await published).to.deep.equal({ theme: 'dark', autoupdate: 'notify' })
    expect(readFileSync(file, 'utf8')).to.include('// global')
    expect((await server.app.inject({ url: '/config' })).json()).to.deep.equal({
      theme: 'dark',
      autoupdate: 'notify',
      username: 'local',
    })

    const bad = await server.app.inject({
      method: 'PATCH',
      url: '/global/config',
      payload: { autoupdate: 'sometimes' },
    })
    expect(bad.statusCode).to.equal(400)
    expect((await server.app.inject({ url: '/global/config' })).json()).to.deep.equal({
      theme: 'dark',
      autoupdate: 'notify',
    })
  })

  it('PATCH /global/config creates opencode.json in the global config directory when there is none', async () => {
    const server = await startServer({ only: ['core', 'config'] })
    await server.app.inject({ method: 'PATCH', url: '/global/config', payload: { username: 'first' } })
    expect(JSON.parse(readFileSync(join(server.configHome, 'opencode', 'opencode.json'), 'utf8'))).to.deep.equal({
      username: 'first',
    })
  })
})
