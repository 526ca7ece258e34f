import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../kernel/core/version.js'
import { cleanup, gitRepo, startServer } from '../support/helper.js'

describe('examples/bookmarks (a community plugin loaded from project config)', () => {
  afterEach(cleanup)

  it('loads from opencode.json, stores per project, publishes and 404s unknown ids', async () => {
    const project = gitRepo()
    writeFileSync(
      join(project, 'opencode.json'),
      JSON.stringify({ plugin: [join(PACKAGE_ROOT, 'dist/examples/bookmarks/index.js')] }),
    )
    const server = await startServer({ cwd: project, only: ['core'] })
    expect(server.skipped).to.deep.equal([])

    const added = await server.app.inject({
      method: 'POST',
      url: '/example/bookmark',
      payload: { path: 'src/a.ts', note: 'entry' },
    })
    expect(added.statusCode).to.equal(200)
    const bookmark = added.json()
    expect(bookmark).to.include({ path: 'src/a.ts', note: 'entry' })
    expect(bookmark.id).to.match(/^bkm_/)

    const listed = await server.app.inject({ url: '/example/bookmark' })
    expect(listed.json()).to.deep.equal([bookmark])

    const bad = await server.app.inject({ method: 'POST', url: '/example/bookmark', payload: { note: 'no path' } })
    expect(bad.statusCode).to.equal(400)
    expect((await server.app.inject({ url: '/example/bookmark' })).json()).to.have.length(1)

    expect((await server.app.inject({ method: 'DELETE', url: '/example/bookmark/bkm_missing' })).statusCode).to.equal(
      404,
    )
    expect((await server.app.inject({ method: 'DELETE', url: `/example/bookmark/${bookmark.id}` })).json()).to.equal(
      true,
    )
    expect((await server.app.inject({ url: '/example/bookmark' })).json()).to.deep.equal([])

    const doc = (await server.app.inject({ url: '/doc' })).json()
    expect(doc.components.schemas).to.have.property('Example.Bookmark')
    expect(doc.paths['/example/bookmark'].post.operationId).to.equal('example.bookmark.add')
  })
})
