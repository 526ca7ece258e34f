import { expect } from 'chai'
import { PAIRING_TOKEN_SECONDS, Pairing } from '../../../kernel/http/pairing.js'

function clock(start = Date.UTC(2026, 0, 1)) {
  const time = { now: start }
  return { time, now: () => time.now }
}

describe('kernel: pairing', () => {
  it('issues 22-character single-use codes valid for 300 s', () => {
    const { time, now } = clock()
    const pairing = new Pairing('pw', now)
    const { code, expires_in } = pairing.issue()
    expect(code).to.match(/^[A-Za-z0-9_-]{22}$/)
    expect(expires_in).to.equal(300)
    expect(pairing.redeem(code)).to.be.a('string')
    expect(pairing.redeem(code)).to.equal(undefined)
    expect(pairing.redeem('never-issued')).to.equal(undefined)

    const late = pairing.issue().code
    time.now += 300_000
    expect(pairing.redeem(late)).to.equal(undefined)
    const inTime = pairing.issue().code
    time.now += 299_000
    expect(pairing.redeem(inTime)).to.be.a('string')
  })

  it('gives tokens <expiry s>.<signature> that verify for 30 days', () => {
    const { time, now } = clock()
    const pairing = new Pairing('pw', now)
    const token = pairing.redeem(pairing.issue().code)!
    const [expiry, signature] = token.split('.')
    expect(Number(expiry)).to.equal(Math.floor(time.now / 1000) + PAIRING_TOKEN_SECONDS)
    expect(signature).to.match(/^[A-Za-z0-9_-]{43}$/)
    expect(pairing.verify(token)).to.equal(true)
    time.now += (PAIRING_TOKEN_SECONDS - 1) * 1000
    expect(pairing.verify(token)).to.equal(true)
    time.now += 1000
    expect(pairing.verify(token)).to.equal(false)
  })

  it('refuses tampered, re-dated and malformed tokens', () => {
    const pairing = new Pairing('pw')
    const token = pairing.token()
    const [expiry, signature] = token.split('.') as [string, string]
    const flipped = signature.slice(0, -1) + (signature.endsWith('A') ? 'B' : 'A')
    for (const bad of [
      `${expiry}.${flipped}`,
      `${Number(expiry) + 1}.${signature}`,
      `${expiry}.${signature}x`,
      `${expiry}${signature}`,
      '',
      'pw',
      `-1.${signature}`,
    ])
      expect(pairing.verify(bad), bad).to.equal(false)
  })

  it('derives its key from the password: tokens outlive a restart, and another password revokes them', () => {
    const token = new Pairing('pw').token()
    expect(new Pairing('pw').verify(token)).to.equal(true)
    expect(new Pairing('other').verify(token)).to.equal(false)
    // Without a password the key is random per process.
    const open = new Pairing(undefined)
    expect(open.verify(open.token())).to.equal(true)
    expect(new Pairing(undefined).verify(open.token())).to.equal(false)
  })

  it('keeps at most 1000 waiting codes, dropping the oldest, and forgets expired ones', () => {
    const { time, now } = clock()
    const pairing = new Pairing('pw', now)
    const first = pairing.issue().code
    for (let i = 0; i < 1000; i++) pairing.issue()
    expect(pairing.pending).to.equal(1000)
    expect(pairing.redeem(first)).to.equal(undefined)
    time.now += 301_000
    pairing.issue()
    expect(pairing.pending).to.equal(1)
  })
})
