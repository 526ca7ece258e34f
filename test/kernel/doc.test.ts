import { Validator } from '@seriousme/openapi-schema-validator'
import { expect } from 'chai'
import { cleanup, startServer, type TestServer } from '../support/helper.js'
import { expectMatchesReference, reference21, referenceOperations } from '../support/openapi.js'

describe('kernel: /doc', () => {
  let server: TestServer
  let document: any
  before(async function () {
    this.timeout(60_000)
    // Every route's validators and serializers compiled at start (other tests compile lazily): a
    // schema Ajv or fast-json-stringify cannot compile fails here.
    server = await startServer({ lazyCompile: false })
    document = (await server.app.inject({ url: '/doc' })).json()
  })
  after(cleanup)

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).to.equal('3.1.0')
    const validator = new Validator()
    const result = await validator.validate(document)
    expect(result.errors, JSON.stringify(result.errors, null, 2)?.slice(0, 2000)).to.equal(undefined)
    expect(result.valid).to.equal(true)
  })

  // OpenCode 2.1 gave `/api/*` ids its 1.x v1 routes had (`session.list`); those v1 routes are `v1.<id>`.
  it('gives every route a unique operationId and tags', () => {
    const ids = new Set<string>()
    for (const [path, item] of Object.entries<Record<string, any>>(document.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        expect(operation.operationId, `${method} ${path}`).to.be.a('string')
        expect(operation.tags, `${method} ${path}`).to.be.an('array').that.is.not.empty
        expect(ids.has(operation.operationId), operation.operationId).to.equal(false)
        ids.add(operation.operationId)
      }
    }
    expect(ids).to.include('global.health').and.include('instance.dispose')
    expect(document.paths['/api/event'].get.operationId).to.equal('event.subscribe')
    expect(document.paths['/event'].get.operationId).to.equal('v1.event.subscribe')
  })

  it('names components by their $id and documents the SSE payload as the union of events', () => {
    expect(document.components.schemas).to.have.property('Path')
    const union = document.components.schemas.Event.anyOf.map((entry: { $ref: string }) => entry.$ref)
    expect(union).to.include('#/components/schemas/EventServerConnected')
    expect(union).to.include('#/components/schemas/EventServerInstanceDisposed')
    expect(union).to.include('#/components/schemas/EventVcsBranchUpdated')
    const stream = document.paths['/event'].get.responses['200'].content['text/event-stream'].schema
    expect(stream.$ref).to.equal('#/components/schemas/Event')
    expect(document.paths['/global/event'].get.responses['200'].content['text/event-stream'].schema.$ref).to.equal(
      '#/components/schemas/GlobalEvent',
    )
  })

  it('lists GET /doc itself', () => {
    expect(document.paths['/doc'].get).to.include({ operationId: 'global.doc' })
  })

  it("lists every operation of OpenCode's documents that this server serves, with OpenCode's operationId", () => {
    // 2.1.2 wins where it shares a path with 1.18, and where it took an id a 1.x v1 route had
    // (that v1 route is then `v1.<id>`).
    const ids21 = new Map(referenceOperations(reference21).map((op) => [`${op.method} ${op.path}`, op.operationId]))
    const taken21 = new Set(ids21.values())
    const expected = ({ method, path, operationId }: { method: string; path: string; operationId: string }) =>
      ids21.get(`${method} ${path}`) ??
      (!path.startsWith('/api/') && taken21.has(operationId) ? `v1.${operationId}` : operationId)
    const missing: string[] = []
    let served = 0
    for (const operation of [...referenceOperations(), ...referenceOperations(reference21)]) {
      const { method, path } = operation
      const url = path.replace(/\{([^}]+)\}/g, ':$1').replace(/\*$/, '*')
      if (!server.app.hasRoute({ method: method as 'GET', url })) continue
      served++
      const listed = document.paths[path]?.[method.toLowerCase()]?.operationId
      if (listed !== expected(operation))
        missing.push(`${method} ${path}: ${listed ?? 'not listed'} instead of ${expected(operation)}`)
    }
    expect(missing, missing.join('\n')).to.deep.equal([])
    expect(served).to.be.greaterThan(100)
  })
})

describe("kernel: /doc covers OpenCode's v1, 1.18 `/api/*` and 2.1 surfaces", () => {
  after(cleanup)

  it("serves and lists every operation of OpenCode 1.18.34's and 2.1.2's documents (a missing one fails here)", async () => {
    const server = await startServer()
    const document = (await server.app.inject({ url: '/doc' })).json()
    const shape = (path: string) => path.replace(/\{[^}]+\}/g, '{}')
    const ours = new Set<string>()
    for (const [path, item] of Object.entries<Record<string, unknown>>(document.paths))
      for (const method of Object.keys(item)) ours.add(`${method.toUpperCase()} ${shape(path)}`)
    const missing = [...referenceOperations(), ...referenceOperations(reference21)]
      .filter(({ method, path }) => !ours.has(`${method} ${shape(path)}`))
      .map(({ method, path, operationId }) => `${method} ${path} (${operationId})`)
    expect(missing, missing.join('\n')).to.deep.equal([])
  })
})

describe('test helper: expectMatchesReference', () => {
  it('accepts an answer of the documented shape and refuses another', () => {
    expectMatchesReference('GET', '/vcs/status', 200, [{ file: 'a.ts', additions: 1, deletions: 0, status: 'added' }])
    expect(() => expectMatchesReference('GET', '/vcs/status', 200, [{ file: 'a.ts', status: 'renamed' }])).to.throw(
      /does not match/,
    )
    expect(() => expectMatchesReference('GET', '/vcs/status', 418, [])).to.throw(/does not document status 418/)
    expect(() => expectMatchesReference('GET', '/nowhere', 200, [])).to.throw(/no operation/)
  })

  it('resolves the components a response refers to', () => {
    expectMatchesReference('POST', '/vcs/apply', 400, {
      name: 'VcsApplyError',
      data: { message: "Patch can't be applied", reason: 'non-git' },
    })
    expect(() =>
      expectMatchesReference('POST', '/vcs/apply', 400, {
        name: 'VcsApplyError',
        data: { message: 'x', reason: 'other' },
      }),
    ).to.throw(/does not match/)
  })
})
