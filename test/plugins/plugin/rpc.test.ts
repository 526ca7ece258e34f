import { expect } from 'chai'
import { mkdirSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { join } from 'node:path'
import { seen } from '../../fixtures/rpc/echo-rpc.js'
import { cleanup, listen, startServer, tempDir, type TestServer } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'

const FIXTURE = new URL('../../fixtures/rpc/echo-rpc.js', import.meta.url).pathname
const ROUTE = '/api/rpc/{rpcID}/{method}'

describe('plugin: rpc.call (POST /api/rpc/{rpcID}/{method})', () => {
  let server: TestServer
  let project: string
  let located: string
  const at = (directory: string) => `location[directory]=${encodeURIComponent(directory)}`
  const call = (rpc: string, method: string, payload: unknown = {}, directory = project) =>
    server.app.inject({ method: 'POST', url: `/api/rpc/${rpc}/${method}?${at(directory)}`, payload: payload as object })

  before(async () => {
    project = tempDir('ok-project-')
    located = join(tempDir(), 'served-rpc')
    mkdirSync(located)
    server = await startServer({ cwd: project, only: ['plugin'], plugins: [FIXTURE] })
    expect(server.skipped).to.deep.equal([])
  })
  after(cleanup)

  it("answers the handler's output, or {} when it has none, at the location the request names", async () => {
    const echoed = await call('echo', 'echo', { input: { a: [1, 'two'] } })
    expect(echoed.statusCode).to.equal(200)
    expect(echoed.json()).to.deep.equal({ output: { got: { a: [1, 'two'] } } })
    expectMatches21('POST', ROUTE, 200, echoed.json())
    expect(seen.directories.at(-1)).to.equal(project)
    expect((await call('echo', 'echo', {}, located)).json()).to.deep.equal({ output: { got: null } })
    expect(seen.directories.at(-1)).to.equal(located)
    const nothing = await call('echo', 'nothing', { input: 1 })
    expect(nothing.json()).to.deep.equal({})
    expectMatches21('POST', ROUTE, 200, nothing.json())
    expect((await call('echo', 'double', { input: 21 })).json()).to.deep.equal({ output: 42 })
  })

  it('answers 400 RpcError rpc.unavailable for an RPC nobody serves at that location', async () => {
    const unknown = await call('nope', 'x')
    expect(unknown.statusCode).to.equal(400)
    expect(unknown.json()).to.deep.equal({
      _tag: 'RpcError',
      type: 'rpc.unavailable',
      message: 'RPC is unavailable: nope',
    })
    expectMatches21('POST', ROUTE, 400, unknown.json())
    // `located` is served only where the plugin's source says so.
    expect((await call('located', 'where')).json()).to.include({ type: 'rpc.unavailable' })
    expect((await call('located', 'where', {}, located)).json()).to.deep.equal({ output: located })
  })

  it('answers rpc.method_not_found for a method without a handler, undeclared or inherited', async () => {
    for (const [rpc, method] of [
      ['echo', 'missing'],
      ['partial', 'declared'],
      ['echo', 'constructor'],
      ['echo', '__proto__'],
      ['echo', 'toString'],
    ]) {
      const response = await call(rpc!, method!)
      expect(response.statusCode, method).to.equal(400)
      expect(response.json(), method).to.deep.equal({
        _tag: 'RpcError',
        type: 'rpc.method_not_found',
        message: `Unknown RPC method: ${rpc}.${method}`,
      })
    }
  })

  it('checks the input against the declared schema, and refuses a body that is no Rpc.Input', async () => {
    for (const input of ['21', 1.5, 5000, null]) {
      const response = await call('echo', 'double', { input })
      expect(response.statusCode, JSON.stringify(input)).to.equal(400)
      expect(response.json(), JSON.stringify(input)).to.include({ _tag: 'RpcError', type: 'rpc.invalid_input' })
      expectMatches21('POST', ROUTE, 400, response.json())
    }
    expect((await call('echo', 'double')).json()).to.include({ type: 'rpc.invalid_input' })
    for (const payload of ['[1]', '"text"', '{"input":']) {
      const response = await server.app.inject({
        method: 'POST',
        url: `/api/rpc/echo/echo?${at(project)}`,
        headers: { 'content-type': 'application/json' },
        payload,
      })
      expect(response.statusCode, payload).to.equal(400)
      expect(response.json()._tag, payload).to.equal('InvalidRequestError')
      expectMatches21('POST', ROUTE, 400, response.json())
    }
    const noBody = await server.app.inject({ method: 'POST', url: `/api/rpc/echo/echo?${at(project)}` })
    expect(noBody.statusCode).to.equal(400)
    expect(noBody.json()._tag).to.equal('InvalidRequestError')
    const relative = await call('echo', 'echo', {}, 'relative/dir')
    // 400 InvalidRequestError, or OpenCode 2.1's 404 LocationNotFoundError where the kernel answers it.
    expect(relative.statusCode).to.be.oneOf([400, 404])
    expect(relative.json()._tag).to.be.oneOf(['InvalidRequestError', 'LocationNotFoundError'])
    expectMatches21('POST', ROUTE, relative.statusCode, relative.json())
  })

  it("answers an error the handler raises on purpose as RpcError with the handler's type and data", async () => {
    const refused = await call('echo', 'refuse')
    expect(refused.statusCode).to.equal(400)
    expect(refused.json()).to.deep.equal({
      _tag: 'RpcError',
      type: 'echo.refused',
      message: 'Refused on purpose',
      data: { why: 'because' },
    })
    expectMatches21('POST', ROUTE, 400, refused.json())
    // No `errors` declared: any type goes.
    expect((await call('echo', 'anything')).json()).to.deep.equal({
      _tag: 'RpcError',
      type: 'echo.anything',
      message: 'Any type goes when none is declared',
      data: [1, 2],
    })
  })

  it('answers a failing handler with a tagged 500 RpcInternalError that reveals nothing', async () => {
    for (const method of ['boom', 'undeclared', 'badData']) {
      const failed = await call('echo', method)
      expect(failed.statusCode, method).to.equal(500)
      expect(failed.json(), method).to.deep.equal({
        _tag: 'RpcInternalError',
        type: 'rpc.internal',
        message: 'RPC call failed',
      })
      expectMatches21('POST', ROUTE, 500, failed.json())
    }
    const badOutput = await call('echo', 'badOutput')
    expect(badOutput.statusCode).to.equal(500)
    expect(badOutput.json()).to.include({ _tag: 'RpcInternalError', type: 'rpc.invalid_output' })
    expectMatches21('POST', ROUTE, 500, badOutput.json())
    // The server goes on serving.
    expect((await call('echo', 'double', { input: 2 })).json()).to.deep.equal({ output: 4 })
  })

  it('aborts the handler when the client goes away', async () => {
    const base = await listen(server)
    const before = seen.aborted
    await new Promise<void>((resolve) => {
      const request = httpRequest(`${base}/api/rpc/echo/wait?${at(project)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      })
      request.on('error', () => resolve())
      request.end(JSON.stringify({ input: { ms: 5000 } }))
      setTimeout(() => {
        request.destroy()
        resolve()
      }, 200)
    })
    for (let i = 0; i < 50 && seen.aborted === before; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(seen.aborted).to.equal(before + 1)
    expect((await call('echo', 'wait', { input: { ms: 1 } })).json()).to.deep.equal({ output: 'waited' })
  })

  it('shows the plugin serving RPCs with features.rpc in GET /api/plugin', async () => {
    const list = await server.app.inject({ url: `/api/plugin?${at(project)}` })
    expect(list.statusCode).to.equal(200)
    expectMatches21('GET', '/api/plugin', 200, list.json())
    const echo = list.json().data.find((plugin: { id: string }) => plugin.id === 'echo-rpc')
    expect(echo).to.deep.equal({
      id: 'echo-rpc',
      source: { type: 'local', path: FIXTURE },
      features: { server: true, rpc: true },
      state: { status: 'active' },
    })
    const builtin = list.json().data.find((plugin: { id: string }) => plugin.id === 'plugin')
    expect(builtin).to.deep.equal({
      id: 'plugin',
      source: { type: 'builtin' },
      features: { server: true },
      state: { status: 'active' },
    })
  })
})
