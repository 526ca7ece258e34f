import { expect } from 'chai'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PluginLoadError } from '../../kernel/core/errors.js'
import {
  findPluginEntry,
  orderPlugins,
  readThirdPartyPlugins,
  type LoadedPlugin,
} from '../../kernel/core/plugin-loader.js'
import { definePlugin } from '../../kernel/core/plugin-definition.js'
import { PACKAGE_ROOT } from '../../kernel/core/version.js'
import { cleanup, startServer, tempDir } from '../support/helper.js'

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname
const BUILTIN = new URL('../../plugins/', import.meta.url).pathname

const plugin = (name: string, dependencies: string[] = [], builtin = true): LoadedPlugin => ({
  definition: definePlugin({ name, dependencies, register() {} }),
  source: `${name}/index.js`,
  builtin,
})

describe('kernel: plugin loader', () => {
  after(cleanup)

  it('discovers the built-in plugins from plugins/*/index without a hand-written list', async () => {
    const server = await startServer()
    const response = await server.app.inject({ url: '/global/health' })
    expect(response.statusCode).to.equal(200)
    expect((await server.app.inject({ url: '/vcs' })).statusCode).to.equal(200)
  })

  it('orders plugins after their dependencies', () => {
    const { ordered } = orderPlugins([plugin('c', ['b']), plugin('b', ['a']), plugin('a')], '0.1.0')
    expect(ordered.map((p) => p.definition.name)).to.deep.equal(['a', 'b', 'c'])
  })

  it('stops startup naming a built-in plugin with a missing dependency', async () => {
    try {
      await startServer({ pluginDirs: [join(FIXTURES, 'missing-dependency')] })
      expect.fail('startup should have failed')
    } catch (error) {
      expect(error).to.be.instanceOf(PluginLoadError)
      expect((error as Error).message)
        .to.include('"needy"')
        .and.include('absent-plugin')
    }
  })

  it('stops startup on a dependency cycle, naming the cycle', async () => {
    try {
      await startServer({ pluginDirs: [join(FIXTURES, 'cycle')] })
      expect.fail('startup should have failed')
    } catch (error) {
      expect((error as Error).message).to.match(/dependency cycle: (alpha -> beta -> alpha|beta -> alpha -> beta)/)
    }
  })

  it('stops startup on two built-in plugins with one name', () => {
    expect(() => orderPlugins([plugin('twin'), plugin('twin')], '0.1.0')).to.throw(
      PluginLoadError,
      /"twin": name is already used/,
    )
  })

  it('skips broken third-party plugins with a reason and still starts', async () => {
    const third = join(FIXTURES, 'third-party')
    const server = await startServer({
      pluginDirs: [BUILTIN],
      only: ['core'],
      plugins: [
        join(third, 'good.js'),
        join(third, 'throws-on-import.js'),
        join(third, 'throws-on-register.js'),
        join(third, 'wrong-kernel.js'),
        join(third, 'not-a-plugin.js'),
        'no-such-package-anywhere',
      ],
    })
    expect((await server.app.inject({ url: '/third-party/hello' })).json()).to.deep.equal({ hello: 'world' })
    const reasons = server.skipped.map((s) => `${s.plugin}: ${s.error.message}`).join('\n')
    expect(server.skipped).to.have.length(5)
    expect(reasons).to.include('broken at import')
    expect(reasons).to.include('cannot register')
    expect(reasons).to.include('needs kernel ^99.0.0')
    expect(reasons).to.include('does not export a plugin')
    expect(reasons).to.include('no-such-package-anywhere')
  })

  it('tells plugins which kernel plugins run and which were left out (Kernel.plugins)', async () => {
    const third = join(FIXTURES, 'third-party')
    const server = await startServer({
      pluginDirs: [BUILTIN],
      only: ['core'],
      plugins: [join(third, 'good.js'), join(third, 'throws-on-register.js'), join(third, 'throws-on-import.js')],
    })
    const plugins = server.kernel.plugins()
    expect(plugins.map((plugin) => [plugin.name, plugin.builtin, plugin.status])).to.deep.equal([
      ['core', true, 'active'],
      ['good-third-party', false, 'active'],
      ['throws-on-register', false, 'failed'],
      [join(third, 'throws-on-import.js'), false, 'failed'],
    ])
    expect(plugins[1]).to.include({ specifier: join(third, 'good.js'), file: join(third, 'good.js') })
    expect(plugins[2]!.error).to.include('cannot register')
    expect(plugins[3]!.error).to.include('broken at import')
  })

  it('drops a third-party plugin whose dependency is missing and keeps the rest', () => {
    const { ordered, failures } = orderPlugins(
      [plugin('core'), plugin('extra', ['ghost'], false), plugin('on-extra', ['extra'], false)],
      '0.1.0',
    )
    expect(ordered.map((p) => p.definition.name)).to.deep.equal(['core'])
    expect(failures.map((f) => f.plugin).sort()).to.deep.equal(['extra', 'on-extra'])
  })

  it('reads each third-party entry once and keeps the ones that are not kernel plugins, module included', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'kernel.js'), `export default { name: 'from-config', register() {} }\n`)
    writeFileSync(join(dir, 'opencode.js'), 'export const Plugin = async () => ({})\n')
    writeFileSync(join(dir, 'typed.ts'), 'export const Typed = async (): Promise<object> => ({})\n')
    writeFileSync(join(dir, 'neither.js'), 'export const VERSION = 1\n')
    symlinkSync(join(dir, 'opencode.js'), join(dir, 'linked.js'))
    const read = await readThirdPartyPlugins(['./kernel.js', './opencode.js', './typed.ts', './neither.js'], dir)
    expect(read.plugins.map((p) => p.definition.name)).to.deep.equal(['from-config'])
    expect(read.entries.map((e) => [e.specifier, e.kind, e.module !== undefined])).to.deep.equal([
      ['./kernel.js', 'kernel', true],
      ['./opencode.js', 'foreign', true],
      ['./typed.ts', 'foreign', false],
      ['./neither.js', 'broken', true],
    ])
    expect(read.failures.map((f) => [f.plugin, f.foreign])).to.deep.equal([
      ['./opencode.js', true],
      ['./typed.ts', true],
      ['./neither.js', false],
    ])
    expect(findPluginEntry(read.entries, join(dir, 'linked.js'))?.specifier).to.equal('./opencode.js')
    expect(findPluginEntry(read.entries, join(dir, 'elsewhere.js'))).to.equal(undefined)
  })

  it('loads plugins named in the project config, by path and by package name', async () => {
    const project = tempDir()
    // A package in the project's node_modules that imports the kernel's SDK by name.
    const pkg = join(project, 'node_modules', 'opencode-plugin-hello')
    mkdirSync(pkg, { recursive: true })
    mkdirSync(join(project, 'node_modules'), { recursive: true })
    symlinkSync(PACKAGE_ROOT, join(project, 'node_modules', 'opencode-kernel'))
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: 'opencode-plugin-hello', type: 'module', exports: './index.js' }),
    )
    writeFileSync(
      join(pkg, 'index.js'),
      `import { definePlugin } from 'opencode-kernel'
export default definePlugin({ name: 'hello', register(app) { app.get('/hello', { schema: { operationId: 'hello.get', tags: ['hello'] } }, async () => 'hi') } })`,
    )
    writeFileSync(
      join(project, 'opencode.jsonc'),
      `{ // comments are fine
  "plugin": ["opencode-plugin-hello", "${join(FIXTURES, 'third-party', 'good.js')}"],
}`,
    )
    const server = await startServer({ cwd: project, pluginDirs: [BUILTIN], only: ['core'] })
    expect(server.skipped).to.deep.equal([])
    expect((await server.app.inject({ url: '/hello' })).body).to.equal('hi')
    expect((await server.app.inject({ url: '/third-party/hello' })).statusCode).to.equal(200)
  })
})
