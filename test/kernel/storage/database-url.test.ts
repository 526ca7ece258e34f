import { expect } from 'chai'
import { DatabaseUrlError, parseDatabaseUrl, redact } from '../../../kernel/storage/database-url.js'

const DATA = '/var/lib/ok'

function failure(value: string): DatabaseUrlError {
  try {
    parseDatabaseUrl(value, DATA)
  } catch (error) {
    expect(error).to.be.instanceOf(DatabaseUrlError)
    return error as DatabaseUrlError
  }
  throw new Error(`"${value}" was accepted`)
}

describe('kernel: cluster database URL', () => {
  it('means the SQLite file in the data directory when absent or blank', () => {
    for (const value of [undefined, '', '   ']) {
      expect(parseDatabaseUrl(value, DATA)).to.deep.equal({ kind: 'sqlite', file: '/var/lib/ok/opencode-kernel.db' })
    }
  })

  it('reads sqlite: with an absolute, a relative (to the data directory) or an in-memory file', () => {
    expect(parseDatabaseUrl('sqlite:/srv/kernel.db', DATA)).to.deep.equal({ kind: 'sqlite', file: '/srv/kernel.db' })
    expect(parseDatabaseUrl('sqlite:///srv/kernel.db', DATA)).to.deep.equal({ kind: 'sqlite', file: '/srv/kernel.db' })
    expect(parseDatabaseUrl('sqlite:stores/kernel.db', DATA)).to.deep.equal({
      kind: 'sqlite',
      file: '/var/lib/ok/stores/kernel.db',
    })
    expect(parseDatabaseUrl('sqlite:../kernel.db', DATA)).to.deep.equal({ kind: 'sqlite', file: '/var/lib/kernel.db' })
    expect(parseDatabaseUrl(' sqlite:kernel.db ', DATA)).to.deep.equal({
      kind: 'sqlite',
      file: '/var/lib/ok/kernel.db',
    })
    expect(parseDatabaseUrl('sqlite::memory:', DATA)).to.deep.equal({ kind: 'sqlite', file: ':memory:' })
  })

  it('reads postgres:// and postgresql:// URLs as they are', () => {
    for (const url of [
      'postgres://kernel:secret@db.internal:5432/opencode',
      'postgresql://kernel@127.0.0.1/opencode?sslmode=disable',
      'POSTGRES://db/opencode',
      'postgres:///opencode?host=/var/run/postgresql',
    ]) {
      expect(parseDatabaseUrl(url, DATA)).to.deep.equal({ kind: 'postgres', url })
    }
  })

  it('refuses sqlite: without a file', () => {
    expect(failure('sqlite:').message).to.contain('sqlite:<file>')
    expect(failure('sqlite://').message).to.contain('names no file')
  })

  it('refuses a postgres URL without a host', () => {
    expect(failure('postgres:///opencode').message).to.equal('database URL names no host: postgres:///opencode')
  })

  it('refuses anything else, saying what it accepts', () => {
    for (const value of ['nonsense', 'kernel.db', 'mysql://db/opencode', 'http://db:5432/x', 'postgres:db']) {
      const message = failure(value).message
      expect(message).to.contain('postgres://user:password@host:port/name or sqlite:<file>')
      expect(message).to.contain(`"${value}"`)
    }
  })

  it('never repeats a password in its messages', () => {
    expect(failure('postgres://kernel:hunter2@db:notaport/x').message).to.equal(
      'database URL is not a valid URL: postgres://kernel:***@db:notaport/x',
    )
    expect(failure('mysql://kernel:hunter2@db/x').message).not.to.contain('hunter2')
    expect(redact('postgres://kernel:hunter2@db:5432/x')).to.equal('postgres://kernel:***@db:5432/x')
    expect(redact('postgres://kernel@db/x')).to.equal('postgres://kernel@db/x')
  })
})
