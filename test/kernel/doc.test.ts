import { Validator } from '@seriousme/openapi-schema-validator'
import { expect } from 'chai'
import { cleanup, startServer, type TestServer } from '../support/helper.js'
import { expectMatchesReference, reference21, referenceOperations } from '../support/openapi.js'

describe('kernel: /doc', () => {
  let server: TestServer
  let document: any
  before(async () => {
    server = await startServer()
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
    expect(ids).to.include('global.health').and.include('event.subscribe').and.include('instance.dispose')
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

  it("lists every operation of OpenCode's document that this server serves, with OpenCode's operationId", () => {
    const missing: string[] = []
    const canonical = new Map(
      referenceOperations(reference21).map(({ method, path, operationId }) => [`${method} ${path}`, operationId]),
    )
    let served = 0
    for (const { method, path, operationId } of referenceOperations()) {
      const url = path.replace(/\{([^}]+)\}/g, ':$1')
      if (!server.app.hasRoute({ method: method as 'GET', url })) continue
      served++
      const listed = document.paths[path]?.[method.toLowerCase()]?.operationId
      // Where OpenCode 2.1 serves the same method and path, its operationId is canonical (1.18's
      // stays where 2.1's is a v1 operation's: `session.list` is `GET /session`'s).
      const expected = canonical.get(`${method} ${path}`)
      if (listed !== operationId && listed !== expected)
        missing.push(`${method} ${path}: ${listed ?? 'not listed'} instead of ${expected ?? operationId}`)
    }
    expect(missing, missing.join('\n')).to.deep.equal([])
    expect(served).to.be.greaterThan(100)
  })
})

describe("kernel: /doc covers OpenCode's v1 and v2 surfaces", () => {
  after(cleanup)

  it("serves and lists every v1 and v2 (`/api/*`) operation of OpenCode's document (a missing one fails here)", async () => {
    const server = await startServer()
    const document = (await server.app.inject({ url: '/doc' })).json()
    const shape = (path: string) => path.replace(/\{[^}]+\}/g, '{}')
    const ours = new Set<string>()
    for (const [path, item] of Object.entries<Record<string, unknown>>(document.paths))
      for (const method of Object.keys(item)) ours.add(`${method.toUpperCase()} ${shape(path)}`)
    const missing = referenceOperations()
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
