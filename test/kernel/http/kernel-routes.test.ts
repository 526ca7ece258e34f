import { expect } from 'chai'
import { cleanup, startServer } from '../../support/helper.js'

describe('kernel: routes', () => {
  after(cleanup)

  it('serves the OpenAPI document at /openapi.json too, behind the password like /api/*', async () => {
    const server = await startServer({ only: ['core'], password: 'pw' })
    const authorization = 'Basic ' + Buffer.from('opencode:pw').toString('base64')
    const document = await server.app.inject({ url: '/openapi.json', headers: { authorization } })
    expect(document.statusCode).to.equal(200)
    expect(document.json()).to.deep.equal((await server.app.inject({ url: '/doc', headers: { authorization } })).json())
    const operations = Object.values(document.json().paths as Record<string, Record<string, { operationId: string }>>)
      .flatMap((item) => Object.values(item))
      .map((operation) => operation.operationId)
    expect(operations).to.include.members([
      'server.info',
      'server.pair',
      'server.connect',
      'location.get',
      'location.reload',
      'debug.location.list',
      'debug.location.evict',
      'experimental.migration.v1.status',
    ])
    expect(document.json().paths).to.not.have.property('/openapi.json')

    const refused = await server.app.inject({ url: '/openapi.json' })
    expect(refused.statusCode).to.equal(401)
    expect(refused.json()).to.deep.equal({ _tag: 'UnauthorizedError', message: 'Authentication required' })
  })
})
