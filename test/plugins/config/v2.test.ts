import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { expect } from 'chai'
import { realpathSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, gitRepo, listen, startServer } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

describe('config: GET /api/reference (OpenCode 2.1)', () => {
  after(cleanup)

  it('lists config references: local paths resolved at the location, git ones with their checkout path', async () => {
    const repo = realpathSync(
      gitRepo({
        'opencode.json': JSON.stringify({
          references: {
            docs: 'docs',
            spec: { path: '/srv/spec', description: 'The spec', hidden: true },
            sdk: { repository: 'https://github.com/acme/sdk.git', branch: 'dev' },
          },
        }),
      }),
    )
    const server = await startServer({ cwd: repo, only: ['config'] })
    const client = createOpencodeClient({ baseUrl: await listen(server) })
    const { data } = await client.v2.reference.list({ location: { directory: repo } }, { throwOnError: true })
    expectMatches21('GET', '/api/reference', 200, data)
    expect(data!.location).to.deep.equal({ directory: repo })
    expect(data!.data).to.deep.equal([
      { name: 'docs', path: join(repo, 'docs'), source: { type: 'local', path: join(repo, 'docs') } },
      {
        name: 'spec',
        path: '/srv/spec',
        description: 'The spec',
        hidden: true,
        source: { type: 'local', path: '/srv/spec' },
      },
      {
        name: 'sdk',
        path: join(server.dataDir, 'repos', 'github.com', 'acme', 'sdk@dev'),
        source: { type: 'git', repository: 'https://github.com/acme/sdk.git', branch: 'dev' },
      },
    ])
    const relative = await server.app.inject({ url: '/api/reference?location[directory]=docs' })
    // 400 InvalidRequestError, or OpenCode 2.1's 404 LocationNotFoundError where the kernel answers it.
    expect(relative.statusCode).to.be.oneOf([400, 404])
    expectMatches21('GET', '/api/reference', relative.statusCode, relative.json())
  })
})
