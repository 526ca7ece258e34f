import { expect } from 'chai'
import type { FastifyRequest } from 'fastify'
import { hostPort, isSameOrigin, originAllowed } from '../../../kernel/http/origins.js'

const at = (host: string | undefined, protocol = 'http') =>
  ({ headers: host === undefined ? {} : { host }, protocol }) as unknown as FastifyRequest
const open = { hostname: '127.0.0.1', cors: ['https://app.example.com'] }
const guarded = { ...open, password: 'pw' }

describe('kernel: origins', () => {
  it('reads the port the browser addressed from Host', () => {
    expect(hostPort(at('localhost:4096'))).to.equal('4096')
    expect(hostPort(at('[::1]:4096'))).to.equal('4096')
    expect(hostPort(at('localhost'))).to.equal(undefined)
    expect(hostPort(at('[::1]'))).to.equal(undefined)
    expect(hostPort(at(undefined))).to.equal(undefined)
  })

  it('allows the loopback origins of the port addressed, and no other port or scheme', () => {
    const request = at('127.0.0.1:4096')
    for (const origin of ['http://localhost:4096', 'http://127.0.0.1:4096', 'http://[::1]:4096'])
      expect(originAllowed(origin, request, open), origin).to.equal(true)
    const refused = [
      'http://localhost:3000',
      'http://localhost:40960',
      'http://localhost',
      'https://localhost:4096',
      'http://localhost:4096/',
      'http://127.0.0.2:4096',
      'http://LOCALHOST:4096.evil.com',
    ]
    for (const origin of refused) expect(originAllowed(origin, request, open), origin).to.equal(false)
  })

  it('allows each --cors origin exactly', () => {
    expect(originAllowed('https://app.example.com', at('localhost:4096'), open)).to.equal(true)
    for (const origin of ['https://app.example.com/', 'http://app.example.com', 'https://app.example.com:443'])
      expect(originAllowed(origin, at('localhost:4096'), open), origin).to.equal(false)
  })

  it("allows OpenCode's site and desktop shell only behind a password", () => {
    const trusted = [
      'https://opencode.ai',
      'https://app.opencode.ai',
      'https://a.b.opencode.ai',
      'tauri://localhost',
      'http://tauri.localhost',
      'https://tauri.localhost',
    ]
    for (const origin of trusted) {
      expect(originAllowed(origin, at('localhost:4096'), guarded), origin).to.equal(true)
      expect(originAllowed(origin, at('localhost:4096'), open), origin).to.equal(false)
    }
    const lookalikes = [
      'http://opencode.ai',
      'https://opencode.ai.evil.com',
      'https://evilopencode.ai',
      'https://.opencode.ai',
      'https://a_b.opencode.ai',
      'https://x.opencode.ai:8443',
      'vscode-webview://abc',
      'null',
    ]
    for (const origin of lookalikes)
      expect(originAllowed(origin, at('localhost:4096'), guarded), origin).to.equal(false)
  })

  it("allows the page's own origin, unless no password guards a Host this server does not answer to", () => {
    expect(isSameOrigin('http://192.168.1.7:4096', at('192.168.1.7:4096'))).to.equal(true)
    expect(isSameOrigin('http://Example.com', at('example.com'))).to.equal(true)
    expect(isSameOrigin('https://example.com', at('example.com', 'https'))).to.equal(true)
    expect(isSameOrigin('https://example.com', at('example.com'))).to.equal(false)
    expect(isSameOrigin('http://example.com', at('example.com:8080'))).to.equal(false)
    expect(isSameOrigin('http://example.com', at(undefined))).to.equal(false)
    expect(originAllowed('http://192.168.1.7:4096', at('192.168.1.7:4096'), guarded)).to.equal(true)
    expect(originAllowed('http://192.168.1.7:4096', at('192.168.1.7:4096'), open)).to.equal(false)
    expect(
      originAllowed('http://192.168.1.7:4096', at('192.168.1.7:4096'), { ...open, hostname: '192.168.1.7' }),
    ).to.equal(true)
    expect(originAllowed('http://localhost', at('localhost'), open)).to.equal(true)
  })
})
