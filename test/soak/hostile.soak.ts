// The hostile-input battery against a real server process: non-finite and huge numbers, `%00` and
// `%25` in ids and paths, 10,000-character query values on every route that takes text, path
// traversal towards a file outside the project, and raw garbage on the socket.
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { tempDir } from '../support/helper.js'
import { check, pool, project, soakLlm, type Scenario } from './common.js'
import { LONG_LIVED_ROUTES } from '../support/openapi.js'

const SKIPPED = LONG_LIVED_ROUTES
const NUMBERS = [
  'Infinity',
  '-Infinity',
  '%2BInfinity',
  '1e309',
  '-1e309',
  'NaN',
  '1e308',
  '-1e308',
  '99999999999999999999999',
  '0x10',
  '1e-400',
  '',
  '1.5',
  '-0',
]
const IDS = [
  '%00',
  '%25',
  '%2500',
  'ses_%00',
  'a%00b',
  '%25%32%65%25%32%65',
  '%2e%2e',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '%C0%AE%C0%AE',
  '%FF%FE',
]

type Parameter = { in: string; name: string; schema?: { type?: string } }
type Operation = { parameters?: Parameter[] }

/** Sends `bytes` on a raw socket; what came back first (or that it closed) and how long it took. */
function raw(port: number, bytes: Buffer | string): Promise<{ answer: string; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now()
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    const done = (what: string) => {
      clearTimeout(timer)
      socket.destroy()
      resolve({ answer: what, ms: Date.now() - started })
    }
    const timer = setTimeout(() => done(answer ? answer.split('\r\n')[0]! : 'HANG'), 5000)
    socket.on('connect', () => socket.write(bytes))
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1')
      if (answer.includes('\r\n')) done(answer.split('\r\n')[0]!)
    })
    socket.on('error', () => done(answer.split('\r\n')[0] || 'reset'))
    socket.on('close', () => done(answer.split('\r\n')[0] || 'closed'))
  })
}

const scenario: Scenario = {
  name: 'hostile input: numbers, %00/%25 ids and paths, long queries, traversal, raw garbage',
  async run() {
    const llm = await soakLlm()
    const p = project(llm, { files: { 'README.md': '# soak\n', 'src/a.ts': 'export const a = 1\n' } })
    const outside = tempDir('ok-soak-outside-')
    const canary = `CANARY-${randomBytes(8).toString('hex')}`
    writeFileSync(join(outside, 'secret.txt'), canary)
    const server = await p.start()
    const port = Number(new URL(server.url).port)
    const doc = (await server.call('GET', '/doc')).body as { paths: Record<string, Record<string, Operation>> }
    const session = (await server.call('POST', '/session', {})).body as { id: string }

    const requests: { method: string; url: string; body?: unknown }[] = []
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [lower, operation] of Object.entries(item)) {
        const method = lower.toUpperCase()
        if (SKIPPED.has(`${method} ${path}`)) continue
        if (method === 'DELETE' && path === '/session/{sessionID}') continue
        const base = path.replace(/\{[^}]+\}/g, session.id)
        const query = (operation.parameters ?? []).filter((parameter) => parameter.in === 'query')
        for (const parameter of query) {
          if (parameter.schema?.type === 'number' || parameter.schema?.type === 'integer') {
            for (const value of NUMBERS) requests.push({ method, url: `${base}?${parameter.name}=${value}` })
          } else {
            requests.push({ method, url: `${base}?${parameter.name}=${'q'.repeat(10_000)}` })
            requests.push({ method, url: `${base}?${parameter.name}=${encodeURIComponent('(['.repeat(5000))}` })
            for (const value of [
              '%00',
              '%25',
              `..%2F..%2F..%2F..%2F..%2F..${encodeURIComponent(outside)}%2Fsecret.txt`,
              encodeURIComponent(join(outside, 'secret.txt')),
            ]) {
              requests.push({ method, url: `${base}?${parameter.name}=${value}` })
            }
          }
        }
        if (path.includes('{'))
          for (const value of IDS) requests.push({ method, url: path.replace(/\{[^}]+\}/g, value) })
        if (method !== 'GET') {
          for (const body of [
            { path: join(outside, 'secret.txt'), filePath: join(outside, 'secret.txt') },
            // 1e309 is Infinity on purpose: JSON sends it as null where a number is expected.
            // eslint-disable-next-line no-loss-of-precision
            { limit: 1e309, count: -1e308, text: 'x'.repeat(10_000) },
          ]) {
            requests.push({ method, url: base, body })
          }
        }
      }
    }

    const fivexx: string[] = []
    let leaked = 0
    await pool(requests, 8, async (request) => {
      const response = await server.call(request.method, request.url, request.body).catch((error: Error) => {
        const cause = error.cause as { code?: string; message?: string } | undefined
        throw new Error(
          `${request.method} ${request.url.slice(0, 120)} (${request.url.length} chars) got no answer: ${cause?.code ?? ''} ${cause?.message ?? error.message}`,
        )
      })
      const text = typeof response.body === 'string' ? response.body : JSON.stringify(response.body ?? '')
      if (response.status >= 500)
        fivexx.push(`${request.method} ${request.url.slice(0, 120)} → ${response.status} ${text.slice(0, 200)}`)
      if (text.includes(canary)) leaked++
    })

    const garbage: (string | Buffer)[] = [
      randomBytes(2048),
      '\x00\x01\x02\x03\r\n\r\n',
      'GARBAGE\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      `GET /session HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
      'GET /session/%00 HTTP/1.1\r\nHost: localhost\r\n\r\n',
      'GET /%25%25%25 HTTP/1.1\r\nHost: localhost\r\n\r\n',
      'POST /session HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzzzz\r\n\r\n',
      'POST /session HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nZZ\r\n\r\n',
      'GET /session HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n',
      Buffer.concat([
        Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]),
        randomBytes(500),
      ]),
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
      `GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    ]
    const answers = await pool(garbage, 4, (bytes) => raw(port, bytes))
    const hung = answers.filter((a) => a.answer === 'HANG')
    const rawFivexx = answers.filter((a) => / 5\d\d /.test(a.answer))
    const health = await server.call('GET', '/global/health')

    check(fivexx.length === 0, `${fivexx.length} × 5xx of ${requests.length}:\n${fivexx.slice(0, 15).join('\n')}`)
    check(leaked === 0, `${leaked} answers contained the content of a file outside the project`)
    check(hung.length === 0, `${hung.length} raw payloads got no answer and no close within 5 s`)
    check(rawFivexx.length === 0, `raw payloads answered 5xx: ${rawFivexx.map((a) => a.answer).join(', ')}`)
    check(health.status === 200, 'the server stopped serving')
    return {
      figures: {
        'HTTP requests': requests.length,
        '5xx': fivexx.length,
        'answers with outside-file content': leaked,
        'raw garbage payloads': garbage.length,
        'raw answers': [...new Set(answers.map((a) => a.answer))].join(' | '),
        'slowest raw answer (ms)': Math.max(...answers.map((a) => a.ms)),
      },
    }
  },
}
export default scenario
