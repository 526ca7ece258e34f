import { expect } from 'chai'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, gitRepo, startServer, tempDir, type TestServer } from '../../support/helper.js'
import { expectMatchesReference } from '../../support/openapi.js'

/** A stand-in program: present and executable is all availability checks. */
function fakeExecutable(dir: string, name: string): void {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, name), '#!/bin/sh\nexit 0\n')
  chmodSync(join(dir, name), 0o755)
}

interface Status {
  id: string
  name: string
  root: string
  status: string
  extensions: string[]
  command: string[]
  available: boolean
}

async function statuses(server: TestServer, directory: string): Promise<Map<string, Status>> {
  const response = await server.app.inject({ url: `/lsp?all=true&directory=${directory}` })
  expect(response.statusCode).to.equal(200)
  return new Map((response.json() as Status[]).map((status) => [status.id, status]))
}

describe('plugin: lsp', () => {
  let bin: string
  let server: TestServer
  beforeEach(async () => {
    // The server's PATH is only this folder: nothing from the machine counts as installed.
    bin = tempDir('ok-bin-')
    server = await startServer({ only: ['core', 'lsp'], env: { PATH: bin } })
  })
  afterEach(cleanup)

  it('lists only running servers by default, as OpenCode does: none before a file is edited, installed or not', async () => {
    fakeExecutable(bin, 'gopls')
    fakeExecutable(bin, 'typescript-language-server')
    const response = await server.app.inject({ url: `/lsp?directory=${gitRepo()}` })
    expect(response.statusCode).to.equal(200)
    expectMatchesReference('GET', '/lsp', 200, response.json())
    expect(response.json()).to.deep.equal([])
  })

  it('lists the built-in servers with extensions and command with all=true, unavailable when not installed', async () => {
    const repo = gitRepo()
    const list = await statuses(server, repo)
    expect([...list.keys()]).to.include.members(['typescript', 'gopls', 'rust', 'pyright', 'clangd'])
    expect(list.get('typescript')).to.deep.equal({
      id: 'typescript',
      name: 'typescript-language-server',
      root: repo,
      status: 'unavailable',
      extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs', '.mts', '.cts'],
      command: ['typescript-language-server', '--stdio'],
      available: false,
    })
  })

  it('counts a server as available when its program is on PATH', async () => {
    fakeExecutable(bin, 'gopls')
    const list = await statuses(server, tempDir())
    expect(list.get('gopls')).to.include({ status: 'available', available: true })
    expect(list.get('rust')).to.include({ status: 'unavailable', available: false })
  })

  it("finds node tools in the project's node_modules/.bin, from a subdirectory too", async () => {
    const repo = gitRepo()
    fakeExecutable(join(repo, 'node_modules', '.bin'), 'typescript-language-server')
    mkdirSync(join(repo, 'src'))
    expect((await statuses(server, join(repo, 'src'))).get('typescript')).to.include({
      status: 'available',
      available: true,
    })
  })

  it('does not count a file that is not executable', async () => {
    writeFileSync(join(bin, 'clangd'), 'not a program')
    expect((await statuses(server, tempDir())).get('clangd')).to.include({ available: false })
  })

  it('adds a server from config, disables another and overrides a command', async () => {
    const project = tempDir()
    fakeExecutable(bin, 'my-lsp')
    fakeExecutable(bin, 'gopls')
    fakeExecutable(join(project, 'tools'), 'ra-nightly')
    writeFileSync(
      join(project, 'opencode.json'),
      JSON.stringify({
        lsp: {
          mylang: { command: ['my-lsp', '--stdio'], extensions: ['.my'], env: { MY_LSP: '1' } },
          gopls: { disabled: true },
          rust: { command: ['./tools/ra-nightly'] },
        },
      }),
    )
    const list = await statuses(server, project)
    expect(list.get('mylang')).to.deep.equal({
      id: 'mylang',
      name: 'mylang',
      root: project,
      status: 'available',
      extensions: ['.my'],
      command: ['my-lsp', '--stdio'],
      available: true,
    })
    expect(list.get('gopls')).to.include({ status: 'disabled', available: true })
    expect(list.get('rust')).to.include({ status: 'available' })
    expect(list.get('rust')!.command).to.deep.equal(['./tools/ra-nightly'])
    expect(list.get('rust')!.extensions).to.deep.equal(['.rs'])
  })

  it('disables every server when config says lsp: false', async () => {
    const project = tempDir()
    fakeExecutable(bin, 'gopls')
    writeFileSync(join(project, 'opencode.json'), '{"lsp": false}')
    const list = [...(await statuses(server, project)).values()]
    expect(list).to.not.be.empty
    expect(list.every((status) => status.status === 'disabled')).to.equal(true)
    expect(list.find((status) => status.id === 'gopls')).to.include({ available: true })
  })

  it('answers ConfigInvalidError when the config file does not parse', async () => {
    const project = tempDir()
    writeFileSync(join(project, 'opencode.json'), '{"lsp": ')
    const response = await server.app.inject({ url: `/lsp?directory=${project}` })
    expect(response.statusCode).to.equal(400)
    expect(response.json().name).to.equal('ConfigInvalidError')
  })
})
