import { expect } from 'chai'
import { join } from 'node:path'
import { Storage } from '../../kernel/storage/sqlite-storage.js'
import { cleanup, tempDir } from '../support/helper.js'

describe('kernel: storage', () => {
  after(cleanup)

  it('opens a SQLite file in WAL mode', () => {
    const storage = new Storage(join(tempDir(), 'nested', 'db.sqlite'))
    expect(storage.db.pragma('journal_mode', { simple: true })).to.equal('wal')
    storage.close()
  })

  it("runs each plugin's migrations once, in id order, across restarts", () => {
    const file = join(tempDir(), 'db.sqlite')
    const order: string[] = []
    const migrations = [
      {
        id: '002-add-column',
        up: (db: Storage['db']) => (order.push('002'), db.exec('ALTER TABLE thing ADD COLUMN size INTEGER')),
      },
      { id: '001-create', up: (db: Storage['db']) => (order.push('001'), db.exec('CREATE TABLE thing (name TEXT)')) },
    ]
    const first = new Storage(file)
    expect(first.migrate('things', migrations)).to.deep.equal(['001-create', '002-add-column'])
    first.db.prepare('INSERT INTO thing (name, size) VALUES (?, ?)').run('kept', 1)
    first.close()
    const second = new Storage(file)
    expect(second.migrate('things', migrations)).to.deep.equal([])
    expect(order).to.deep.equal(['001', '002'])
    expect(second.db.prepare('SELECT name FROM thing').all()).to.deep.equal([{ name: 'kept' }])
    // Another owner's migration ids do not collide with these.
    expect(
      second.migrate('others', [{ id: '001-create', up: (db) => db.exec('CREATE TABLE other (x)') }]),
    ).to.deep.equal(['001-create'])
    second.close()
  })

  it('rolls a failing migration back entirely', () => {
    const storage = new Storage(join(tempDir(), 'db.sqlite'))
    expect(() =>
      storage.migrate('broken', [
        {
          id: '001',
          up: (db) => {
            db.exec('CREATE TABLE half (x)')
            throw new Error('boom')
          },
        },
      ]),
    ).to.throw('boom')
    expect(storage.db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").all()).to.deep.equal([])
    expect(storage.db.prepare("SELECT * FROM kernel_migration WHERE owner = 'broken'").all()).to.deep.equal([])
    storage.close()
  })

  it('refuses two migrations with one id', () => {
    const storage = new Storage(':memory:')
    expect(() =>
      storage.migrate('dup', [
        { id: 'a', up() {} },
        { id: 'a', up() {} },
      ]),
    ).to.throw(/defined twice/)
    storage.close()
  })
})
