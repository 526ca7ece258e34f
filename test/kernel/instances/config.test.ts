import { expect } from 'chai'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigInvalidError, loadConfig, loadGlobalConfig, parseConfigText } from '../../../kernel/instances/config.js'
import { cleanup, tempDir } from '../../support/helper.js'

describe('kernel: config loading', () => {
  afterEach(cleanup)

  it('reads an empty or comments-only file as {}, as OpenCode does', () => {
    expect(parseConfigText('', '/x/opencode.json', {})).to.deep.equal({})
    expect(parseConfigText('  // nothing yet\n/* at all */\n', '/x/opencode.jsonc', {})).to.deep.equal({})
  })

  it('names the file, line and column of a syntax error, with status 400', () => {
    try {
      parseConfigText('{\n  "model": \n}\n', '/x/opencode.json', {})
      expect.fail('no error')
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigInvalidError)
      expect((error as ConfigInvalidError).statusCode).to.equal(400)
      expect((error as ConfigInvalidError).message).to.match(/^\/x\/opencode\.json:3:1: invalid JSON/)
    }
  })

  it('outside a repository, also reads the config of parent directories (OpenCode searches up to /)', () => {
    const parent = tempDir()
    const child = join(parent, 'a', 'b')
    mkdirSync(child, { recursive: true })
    writeFileSync(join(parent, 'opencode.json'), '{"username": "parent", "model": "p/m"}')
    writeFileSync(join(parent, 'a', 'opencode.json'), '{"username": "a"}')
    const env = { XDG_CONFIG_HOME: tempDir() }
    const loaded = loadConfig(child, undefined, env)
    expect(loaded.config).to.deep.equal({ username: 'a', model: 'p/m' })
    // The file PATCH writes stays the directory's own: a parent outside any repository is not "the project".
    expect(loaded.projectFile).to.equal(join(child, 'opencode.json'))
    // Inside a repository the search stops at the worktree.
    expect(loadConfig(child, join(parent, 'a'), env).config).to.deep.equal({ username: 'a' })
  })

  it('loads the global files alone, and writes to the last of them that exists', () => {
    const home = tempDir()
    const dir = join(home, 'opencode')
    expect(loadGlobalConfig({ XDG_CONFIG_HOME: home })).to.deep.equal({
      config: {},
      sources: [],
      file: join(dir, 'opencode.json'),
    })
    mkdirSync(dir)
    writeFileSync(join(dir, 'config.json'), '{"username": "old", "theme": "t"}')
    writeFileSync(join(dir, 'opencode.jsonc'), '{"username": "new"}')
    const loaded = loadGlobalConfig({ XDG_CONFIG_HOME: home })
    expect(loaded.config).to.deep.equal({ username: 'new', theme: 't' })
    expect(loaded.file).to.equal(join(dir, 'opencode.jsonc'))
  })
})
