// A hostile client against every documented route: whatever it sends, the answer is a JSON
// error below 500 (or a success), and the server keeps serving.
import { expect } from 'chai'
import { cleanup, gitRepo, startServer, tempDir } from '../support/helper.js'
import { LONG_LIVED_ROUTES } from '../support/openapi.js'

const SKIPPED = LONG_LIVED_ROUTES

const PARAM_VALUES = [
  'x',
  'ses_nope',
  'msg_nope',
  'prt_nope',
  'pty_nope',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  'a'.repeat(300),
]
const BODIES: unknown[] = [
  undefined,
  null,
  [],
  'text',
  42,
  true,
  { a: { b: [1, { c: null }] } },
  { parts: 'x', text: 1, messageID: 5, command: ['a'], name: {}, path: '../../../../etc/passwd' },
]
const QUERIES = ['', '?limit=-1&start=abc&roots=maybe&path=../../../etc/passwd&pattern=(&query=%00&cursor=x&format=xml']

describe('kernel: a hostile client', () => {
  afterEach(cleanup)

  it('gets a JSON 4xx (or a success) from every route, never a 5xx, and the server keeps serving', async function () {
    this.timeout(120_000)
    const repo = gitRepo()
    const server = await startServer({ cwd: repo, dataDir: tempDir('ok-data-') })
    const document = (await server.app.inject({ url: '/doc' })).json() as {
      paths: Record<string, Record<string, unknown>>
    }
    // Real ids too, so handlers get past their lookups with the hostile bodies.
    const session = (await server.app.inject({ method: 'POST', url: '/session', payload: {} })).json() as { id: string }
    const values = [...PARAM_VALUES, session.id]
    const failures: string[] = []
    let requests = 0
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of Object.keys(item).map((m) => m.toUpperCase())) {
        if (SKIPPED.has(`${method} ${path}`)) continue
        // A delete with a real id would take the session away from the routes after it.
        if (method === 'DELETE' && path === '/session/{sessionID}') continue
        for (const value of path.includes('{') ? values : ['']) {
          const url = path.replace(/\{[^}]+\}/g, value)
          for (const query of QUERIES) {
            for (const body of method === 'GET' || method === 'HEAD' ? [undefined] : BODIES) {
              const response = await server.app.inject({
                method: method as 'GET',
                url: url + query,
                ...(body === undefined
                  ? {}
                  : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
              })
              requests++
              const where = `${method} ${url}${query} ${JSON.stringify(body)?.slice(0, 60)}`
              if (response.statusCode >= 500)
                failures.push(`${where} → ${response.statusCode} ${response.body.slice(0, 200)}`)
              else if (response.statusCode >= 400) {
                const json = (() => {
                  try {
                    return response.json() as {
                      name?: unknown
                      data?: { message?: unknown }
                      _tag?: unknown
                      message?: unknown
                    }
                  } catch {
                    return undefined
                  }
                })()
                // v1 errors are `{name, data: {message}}`; v2 (`/api/*`) ones are tagged `{_tag, message}`.
                const v1 = typeof json?.name === 'string' && typeof json.data?.message === 'string'
                // OpenCode 2.1's pairing link answers in its tagged shape too.
                const tagged = path.startsWith('/api/') || path.startsWith('/auth/connect/')
                const v2 = tagged && typeof json?._tag === 'string' && typeof json.message === 'string'
                if (!v1 && !v2)
                  failures.push(`${where} → ${response.statusCode} not a JSON error: ${response.body.slice(0, 100)}`)
              }
            }
          }
        }
      }
    }
    expect(failures.slice(0, 20), `${failures.length} bad answers of ${requests}`).to.deep.equal([])
    expect(requests).to.be.above(500)
    expect((await server.app.inject({ url: '/global/health' })).json()).to.include({ healthy: true })
  })

  it('gets the same 400 for a non-finite number in any numeric query parameter as for an out-of-range one', async function () {
    this.timeout(60_000)
    const server = await startServer({ cwd: gitRepo(), dataDir: tempDir('ok-data-') })
    type Parameter = { in: string; name: string; schema?: { type?: string; pattern?: string } }
    const document = (await server.app.inject({ url: '/doc' })).json() as {
      paths: Record<string, Record<string, { parameters?: Parameter[] }>>
    }
    const session = (await server.app.inject({ method: 'POST', url: '/session', payload: {} })).json() as { id: string }
    const failures: string[] = []
    let checked = 0
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (SKIPPED.has(`${method.toUpperCase()} ${path}`)) continue
        const numeric = (operation.parameters ?? []).filter(
          (p) => p.in === 'query' && (p.schema?.type === 'number' || p.schema?.type === 'integer'),
        )
        for (const parameter of numeric) {
          // A path parameter whose plain-prefix pattern a session id does not match (`^sh_`) gets an id of its own.
          const pathValue = (name: string) => {
            const pattern = operation.parameters?.find((p) => p.in === 'path' && p.name === name)?.schema?.pattern
            return pattern && /^\^[A-Za-z0-9_]+$/.test(pattern) && !session.id.startsWith(pattern.slice(1))
              ? `${pattern.slice(1)}nope`
              : session.id
          }
          const url = `${path.replace(/\{([^}]+)\}/g, (_, name: string) => pathValue(name))}?${parameter.name}=`
          const answer = async (value: string) => {
            const response = await server.app.inject({ method: method.toUpperCase() as 'GET', url: url + value })
            // v2 (`/api/*`) answers carry the same facts tagged: `{_tag, kind}`.
            const body = response.json() as { name?: string; _tag?: string; kind?: string; data?: { kind?: string } }
            return { status: response.statusCode, name: body.name ?? body._tag, kind: body.data?.kind ?? body.kind }
          }
          const outOfRange = await answer('-1e308')
          const name = path.startsWith('/api/') ? 'InvalidRequestError' : 'BadRequest'
          expect(outOfRange, `${method} ${url}-1e308`).to.deep.equal({ status: 400, name, kind: 'Query' })
          for (const value of ['Infinity', '-Infinity', '1e309', '-1e309', 'NaN', '%2BInfinity']) {
            const got = await answer(value)
            checked++
            if (JSON.stringify(got) !== JSON.stringify(outOfRange))
              failures.push(`${method} ${url}${value} → ${JSON.stringify(got)}`)
          }
        }
      }
    }
    expect(failures).to.deep.equal([])
    // GET /session (limit, start), GET /session/:id/message (limit), GET /find/file (limit) at least.
    expect(checked).to.be.at.least(4 * 6)
    const listed = await server.app.inject({ url: '/session?limit=Infinity' })
    expect(listed.json()).to.deep.include({ name: 'BadRequest' })
    expect(listed.json().data.message).to.match(/limit.*finite/)
    expect((await server.app.inject({ url: '/session?limit=5' })).statusCode).to.equal(200)
  })
})
