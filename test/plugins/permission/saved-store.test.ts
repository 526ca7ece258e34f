import { expect } from 'chai'
import { join } from 'node:path'
import { SavedPermissionStore } from '../../../plugins/permission/saved-store.js'
import { PERMISSION_MIGRATIONS } from '../../../plugins/permission/store.js'
import { Storage } from '../../../kernel/storage/sqlite-storage.js'
import { cleanup, onCleanup, tempDir } from '../../support/helper.js'

describe('permission: saved permissions store', () => {
  afterEach(cleanup)

  it('gives the approvals saved before ids existed an id each, keeping their order and time', () => {
    const storage = new Storage(join(tempDir(), 'data.db'))
    onCleanup(() => storage.db.close())
    storage.migrate('permission', PERMISSION_MIGRATIONS.slice(0, 1))
    const approve = storage.db.prepare(
      'INSERT INTO permission_approval (project, permission, pattern, time_created) VALUES (?, ?, ?, ?)',
    )
    approve.run('p1', 'read', '*', 1000)
    approve.run('p1', 'bash', 'make', 2000)
    approve.run('p2', 'edit', 'src/*', 1500)
    expect(storage.migrate('permission', PERMISSION_MIGRATIONS)).to.deep.equal(['0002-saved-permission-ids'])

    const store = new SavedPermissionStore(storage.db)
    const p1 = store.list('p1')
    expect(
      p1.map(({ permission, pattern, timeCreated, timeUpdated }) => [permission, pattern, timeCreated, timeUpdated]),
    ).to.deep.equal([
      ['read', '*', 1000, 1000],
      ['bash', 'make', 2000, 2000],
    ])
    expect(new Set(store.list().map((saved) => saved.id)).size).to.equal(3)
    for (const saved of store.list()) expect(saved.id).to.match(/^psv_/)
    expect(store.rules('p2')).to.deep.equal([{ permission: 'edit', pattern: 'src/*', action: 'allow' }])
    const tables = storage.db.prepare("SELECT name FROM sqlite_master WHERE name = 'permission_approval'").all()
    expect(tables).to.deep.equal([])

    // Saving again what a project saved already keeps the one entry.
    store.save('p1', 'read', ['*', 'docs/*'])
    expect(store.list('p1').map((saved) => saved.pattern)).to.deep.equal(['*', 'make', 'docs/*'])
  })
})
