import { expect } from 'chai'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, gitRepo, startServer } from '../../support/helper.js'
import { until } from '../../support/session.js'

const CALLER = `
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Plugin } from '@opencode-ai/plugin'

export const Caller: Plugin = async ({ client, directory }) => {
  const path = await client.path.get()
  const log = await client.app.log({ body: { service: 'caller', level: 'info', message: 'hello from a plugin' } })
  writeFileSync(join(directory, 'client.json'), JSON.stringify({ status: path.response.status, directory: path.data?.directory, log: log.response.status }))
  return {}
}
`

describe('plugin: opencode-plugins (the SDK client in PluginInput)', function () {
  this.timeout(30_000)
  afterEach(cleanup)

  it('answers the official SDK client in-process, authenticated when the server has a password', async () => {
    const repo = gitRepo()
    mkdirSync(join(repo, '.opencode', 'plugin'), { recursive: true })
    writeFileSync(join(repo, '.opencode', 'plugin', 'caller.ts'), CALLER)
    const server = await startServer({ cwd: repo, only: ['core', 'opencode-host'], password: 'secret-pw' })
    const auth = { authorization: 'Basic ' + Buffer.from('opencode:secret-pw').toString('base64') }
    expect((await server.app.inject({ url: '/plugin' })).statusCode).to.equal(401)
    const list = await server.app.inject({ url: '/plugin', headers: auth })
    expect(list.json()[0]).to.include({ status: 'loaded' })
    await until(
      () => {
        try {
          return Boolean(readFileSync(join(repo, 'client.json'), 'utf8'))
        } catch {
          return false
        }
      },
      10_000,
      'client.json',
    )
    expect(JSON.parse(readFileSync(join(repo, 'client.json'), 'utf8'))).to.deep.equal({
      status: 200,
      directory: repo,
      log: 200,
    })
  })
})
