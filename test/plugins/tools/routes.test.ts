import { expect } from 'chai'
import { cleanup } from '../../support/helper.js'
import { sessionHarness } from '../../support/session.js'

describe('plugin: tools (experimental routes)', () => {
  afterEach(cleanup)

  it('lists every tool id, plugin tools included', async () => {
    const h = await sessionHarness()
    const ids = (await h.call('GET', '/experimental/tool/ids')).body
    for (const id of ['read', 'task', 'question', 'todowrite', 'todoread']) expect(ids).to.include(id)
  })

  it('lists tools with descriptions and JSON-schema parameters for a model', async () => {
    const h = await sessionHarness()
    const response = await h.call('GET', '/experimental/tool?provider=scripted&model=test-model')
    expect(response.status).to.equal(200)
    const read = response.body.find((t: any) => t.id === 'read')
    expect(read.description).to.be.a('string').and.not.empty
    expect(read.parameters).to.deep.include({ type: 'object', required: ['filePath'] })
    expect(read.parameters.properties.filePath.type).to.equal('string')
    expect((await h.call('GET', '/experimental/tool?provider=scripted&model=nope')).status).to.equal(400)
    expect((await h.call('GET', '/experimental/tool?provider=scripted')).status).to.equal(400)
  })
})
