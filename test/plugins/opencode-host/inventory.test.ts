import { expect } from 'chai'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, gitRepo, startServer } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

describe('opencode-host: OpenCode plugins in GET /api/plugin', () => {
  after(cleanup)

  it('lists each OpenCode plugin of the location, loaded or failed with why, as OpenCode 2.1 Plugin.Info', async () => {
    const project = gitRepo()
    const folder = join(project, '.opencode', 'plugin')
    mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, 'fine.js'), 'export const Fine = async () => ({ event: async () => {} })\n')
    writeFileSync(join(folder, 'fails.js'), "export const Fails = async () => { throw new Error('cannot start') }\n")
    const other = gitRepo()
    const server = await startServer({ cwd: project, only: ['plugin', 'opencode-host'] })
    const list = async (directory: string) => {
      const response = await server.app.inject({
        url: `/api/plugin?location[directory]=${encodeURIComponent(directory)}`,
      })
      expect(response.statusCode).to.equal(200)
      expectMatches21('GET', '/api/plugin', 200, response.json())
      return response.json().data.filter((plugin: any) => plugin.source.type === 'local') as any[]
    }
    const local = await list(project)
    expect(local.find((plugin) => plugin.source.path === join(folder, 'fine.js'))).to.deep.include({
      features: { server: true },
      state: { status: 'active' },
    })
    const failed = local.find((plugin) => plugin.source.path === join(folder, 'fails.js'))
    expect(failed.state.status).to.equal('failed')
    expect(failed.state.error).to.contain('cannot start')
    // Another location has its own OpenCode plugins: none here.
    expect(await list(other)).to.deep.equal([])
  })
})
