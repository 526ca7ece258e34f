import { expect } from 'chai'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, gitRepo, startServer } from '../../support/helper.js'

/** A module that appends `label` to `log` each time it is evaluated. */
const counted = (log: string, label: string, body: string) =>
  `import { appendFileSync } from 'node:fs'\nappendFileSync(${JSON.stringify(log)}, ${JSON.stringify(label + '\n')})\n${body}\n`

const OPENCODE_PLUGIN = (tool: string) =>
  `export const Counted = async () => ({ tool: { ${tool}: { description: '${tool}', args: {}, execute: async () => '${tool}' } } })`

describe('plugin: opencode-plugins (config `plugin` entries the kernel reads too)', function () {
  this.timeout(30_000)
  afterEach(cleanup)

  it('imports each entry once: the host takes the module the kernel imported, and leaves kernel plugins to it', async () => {
    const repo = gitRepo()
    const log = join(repo, 'evaluations.log')
    writeFileSync(join(repo, 'counted-file.js'), counted(log, 'file', OPENCODE_PLUGIN('from_file')))
    const pkg = join(repo, 'node_modules', 'counted-package')
    mkdirSync(pkg, { recursive: true })
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: 'counted-package', type: 'module', main: 'index.js' }),
    )
    writeFileSync(join(pkg, 'index.js'), counted(log, 'package', OPENCODE_PLUGIN('from_package')))
    writeFileSync(
      join(repo, 'kernel-plugin.js'),
      counted(log, 'kernel', `export default { name: 'counted-kernel', register() {} }`),
    )
    writeFileSync(
      join(repo, 'opencode.json'),
      JSON.stringify({ plugin: ['./counted-file.js', 'counted-package', './kernel-plugin.js'] }),
    )

    const server = await startServer({ cwd: repo, only: ['core', 'opencode-host'] })
    expect(server.skipped).to.deep.equal([])
    const list = (await server.app.inject({ url: '/plugin' })).json() as {
      spec: string
      status: string
      tools: string[]
    }[]
    expect(list.map((plugin) => [plugin.spec, plugin.status, plugin.tools])).to.deep.equal([
      ['./counted-file.js', 'loaded', ['from_file']],
      ['counted-package', 'loaded', ['from_package']],
    ])
    expect(readFileSync(log, 'utf8').split('\n').filter(Boolean).sort()).to.deep.equal(['file', 'kernel', 'package'])
  })
})
