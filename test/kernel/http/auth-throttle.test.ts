import { expect } from 'chai'
import type { FastifyBaseLogger } from 'fastify'
import { AuthThrottle } from '../../../kernel/http/auth-throttle.js'
import { cleanup, startServer } from '../../support/helper.js'

const basic = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64')

function recordingLog(): { log: FastifyBaseLogger; warnings: unknown[] } {
  const warnings: unknown[] = []
  return { log: { warn: (...args: unknown[]) => warnings.push(args) } as unknown as FastifyBaseLogger, warnings }
}

describe('kernel: failed-authentication throttling', () => {
  afterEach(cleanup)

  it('lets the first failures pass, then delays each next one more, then refuses the address for a minute', () => {
    let now = 1_000_000
    const { log, warnings } = recordingLog()
    const throttle = new AuthThrottle(log, {}, () => now)
    const delays = Array.from({ length: 9 }, () => throttle.failed('10.0.0.1'))
    expect(delays).to.deep.equal([0, 0, 0, 0, 0, 250, 500, 1000, 2000])
    expect(throttle.check('10.0.0.1')).to.equal(0)
    expect(throttle.failed('10.0.0.1')).to.equal(0)
    expect(throttle.check('10.0.0.1')).to.equal(60)
    expect(throttle.check('10.0.0.2'), 'another address').to.equal(0)
    now += 30_500
    expect(throttle.check('10.0.0.1')).to.equal(30)
    now += 30_000
    expect(throttle.check('10.0.0.1')).to.equal(0)
    // Straight back to slowed failures, and the next block is twice as long.
    expect(Array.from({ length: 5 }, () => throttle.failed('10.0.0.1'))).to.deep.equal([250, 500, 1000, 2000, 0])
    expect(throttle.check('10.0.0.1')).to.equal(120)
    expect(warnings, 'one warning per burst').to.have.length(2)
  })

  it('forgets an address after a quiet quarter of an hour, and remembers a bounded number of addresses', () => {
    let now = 0
    const throttle = new AuthThrottle(recordingLog().log, { maxAddresses: 100 }, () => now)
    for (let i = 0; i < 6; i++) throttle.failed('10.0.0.1')
    now += 15 * 60_000 + 1
    expect(throttle.failed('10.0.0.1'), 'counted afresh').to.equal(0)
    for (let i = 0; i < 1000; i++) throttle.failed(`10.1.${i >> 8}.${i & 255}`)
    expect(throttle.size).to.equal(100)
  })

  it('answers a password-guessing address 429 with Retry-After, while the right password from elsewhere passes', async function () {
    this.timeout(20_000)
    const server = await startServer({
      only: ['core'],
      env: { OPENCODE_SERVER_PASSWORD: 's3cret' },
      authThrottle: { baseDelayMs: 20, maxDelayMs: 100, blockMs: 5000 },
    })
    const attempt = (remoteAddress: string, authorization?: string) =>
      server.app.inject({ url: '/global/health', remoteAddress, headers: authorization ? { authorization } : {} })

    // Requests without credentials are how clients learn to send them: never throttled.
    for (let i = 0; i < 20; i++) expect((await attempt('192.0.2.7')).statusCode).to.equal(401)
    const answers: number[] = []
    const started = Date.now()
    for (let i = 0; i < 10; i++) answers.push((await attempt('192.0.2.7', basic('opencode', `guess${i}`))).statusCode)
    expect(answers).to.deep.equal(Array(10).fill(401))
    // Failures 6 to 9 were held back 20 + 40 + 80 + 100 ms.
    expect(Date.now() - started).to.be.at.least(240)

    const refused = await attempt('192.0.2.7', basic('opencode', 'guess10'))
    expect(refused.statusCode).to.equal(429)
    expect(refused.json().name).to.equal('TooManyRequestsError')
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 5)
    // While refused, even the right password is not checked: the answer reveals nothing.
    expect((await attempt('192.0.2.7', basic('opencode', 's3cret'))).statusCode).to.equal(429)
    expect((await attempt('198.51.100.1', basic('opencode', 's3cret'))).statusCode, 'another client').to.equal(200)
    expect((await attempt('198.51.100.1', 'Bearer s3cret')).statusCode).to.equal(200)
  })
})
