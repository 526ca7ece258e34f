import { expect } from 'chai'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, gitRepo, startServer, tempDir, type TestServer } from '../../support/helper.js'

function fakeExecutable(dir: string, name: string): void {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, name), '#!/bin/sh\nexit 0\n')
  chmodSync(join(dir, name), 0o755)
}

interface Status {
  name: string
  extensions: string[]
  enabled: boolean
  command: string[]
  available: boolean
}

async function statuses(server: TestServer, directory: string): Promise<Map<string, Status>> {
  const response = await server.app.inject({ url: `/formatter?directory=${directory}` })
  expect(response.statusCode).to.equal(200)
  return new Map((response.json() as Status[]).map((status) => [status.name, status]))
}

describe('plugin: formatter', () => {
  let bin: string
  let server: TestServer
  beforeEach(async () => {
    bin = tempDir('ok-bin-')
    server = await startServer({ only: ['core', 'formatter'], env: { PATH: bin } })
  })
  afterEach(cleanup)

  it('lists the built-in formatters, not enabled when not installed', async () => {
    const list = await statuses(server, tempDir())
    expect([...list.keys()]).to.include.members([
      'prettier',
      'biome',
      'gofmt',
      'rustfmt',
      'ruff',
      'clang-format',
      'shfmt',
    ])
    expect(list.get('gofmt')).to.deep.equal({
      name: 'gofmt',
      extensions: ['.go'],
      enabled: false,
      command: ['gofmt', '-w', '$FILE'],
      available: false,
    })
  })

  it('enables a formatter whose program is on PATH', async () => {
    fakeExecutable(bin, 'shfmt')
    const list = await statuses(server, tempDir())
    expect(list.get('shfmt')).to.include({ enabled: true, available: true })
    expect(list.get('ruff')).to.include({ enabled: false, available: false })
  })

  it("finds prettier in the project's node_modules/.bin", async () => {
    const repo = gitRepo()
    fakeExecutable(join(repo, 'node_modules', '.bin'), 'prettier')
    expect((await statuses(server, repo)).get('prettier')).to.include({ enabled: true, available: true })
  })

  it('adds a formatter from config and disables another', async () => {
    const project = tempDir()
    fakeExecutable(bin, 'myfmt')
    fakeExecutable(bin, 'gofmt')
    writeFileSync(
      join(project, 'opencode.json'),
      JSON.stringify({
        formatter: { myfmt: { command: ['myfmt', '$FILE'], extensions: ['.foo'] }, gofmt: { disabled: true } },
      }),
    )
    const list = await statuses(server, project)
    expect(list.get('myfmt')).to.deep.equal({
      name: 'myfmt',
      extensions: ['.foo'],
      enabled: true,
      command: ['myfmt', '$FILE'],
      available: true,
    })
    expect(list.get('gofmt')).to.include({ enabled: false, available: true })
  })

  it('overrides the extensions of a built-in formatter', async () => {
    const project = tempDir()
    writeFileSync(join(project, 'opencode.json'), JSON.stringify({ formatter: { prettier: { extensions: ['.ts'] } } }))
    const prettier = (await statuses(server, project)).get('prettier')!
    expect(prettier.extensions).to.deep.equal(['.ts'])
    expect(prettier.command).to.deep.equal(['prettier', '--write', '$FILE'])
  })

  it('disables every formatter when config says formatter: false', async () => {
    const project = tempDir()
    fakeExecutable(bin, 'gofmt')
    writeFileSync(join(project, 'opencode.json'), '{"formatter": false}')
    const list = [...(await statuses(server, project)).values()]
    expect(list).to.not.be.empty
    expect(list.every((status) => !status.enabled)).to.equal(true)
    expect(list.find((status) => status.name === 'gofmt')).to.include({ available: true })
  })
})
