import { expect } from 'chai'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, gitRepo, startServer } from '../../support/helper.js'
import { until } from '../../support/session.js'

const versioned = (name: string) =>
  `export const Versioned = async () => ({ tool: { ${name}: { description: '${name}', args: {}, execute: async () => '${name}' } } })\n`

describe('plugin: opencode-plugins (dev mode)', function () {
  this.timeout(30_000)
  afterEach(cleanup)

  it('loads an edited .opencode/plugin file afresh', async () => {
    const repo = gitRepo()
    mkdirSync(join(repo, '.opencode', 'plugin'), { recursive: true })
    const file = join(repo, '.opencode', 'plugin', 'versioned.ts')
    writeFileSync(file, versioned('tool_one'))
    const server = await startServer({ cwd: repo, only: ['core', 'opencode-host'], dev: true })
    const tools = async () => ((await server.app.inject({ url: '/plugin' })).json() as any[]).flatMap((p) => p.tools)
    expect(await tools()).to.deep.equal(['tool_one'])
    writeFileSync(file, versioned('tool_two'))
    let latest: string[] = []
    await until(
      () => (void tools().then((t) => (latest = t)), latest.includes('tool_two')),
      10_000,
      'the edited plugin',
    )
    expect(latest).to.deep.equal(['tool_two'])
  })
})
