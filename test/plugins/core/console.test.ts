import { expect } from 'chai'
import { KERNEL_VERSION } from '../../../kernel/core/version.js'
import { cleanup, startServer, tempDir, type TestServer } from '../../support/helper.js'
import { expectMatchesReference } from '../../support/openapi.js'

describe('plugin: core (console and upgrade)', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({ only: ['core'] })
  })
  after(cleanup)

  it('lists no console orgs', async () => {
    const response = await server.app.inject({ url: `/experimental/console/orgs?directory=${tempDir()}` })
    expect(response.statusCode).to.equal(200)
    expectMatchesReference('GET', '/experimental/console/orgs', 200, response.json())
    expect(response.json()).to.deep.equal({ orgs: [] })
  })

  it('refuses to switch org with a 400 that says there is no console account, in both error shapes', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: `/experimental/console/switch?directory=${tempDir()}`,
      payload: { accountID: 'acc_1', orgID: 'org_1' },
    })
    expect(response.statusCode).to.equal(400)
    const body = response.json()
    expect(body).to.include({ _tag: 'BadRequest', name: 'BadRequest' })
    expect(body.data.message).to.match(/No OpenCode console account/)
    const invalid = await server.app.inject({
      method: 'POST',
      url: `/experimental/console/switch?directory=${tempDir()}`,
      payload: { orgID: 'org_1' },
    })
    expect(invalid.statusCode).to.equal(400)
    expect(invalid.json().data.message).to.match(/accountID/)
  })

  it("does not upgrade itself: answers how to upgrade with npm, in OpenCode's result shape", async () => {
    const response = await server.app.inject({ method: 'POST', url: '/global/upgrade', payload: { target: '1.2.3' } })
    expect(response.statusCode).to.equal(400)
    const body = response.json()
    // OpenCode sends its upgrade result (documented for 200) with the 400 when it cannot upgrade;
    // the body is that result plus this server's error shape.
    const { name, data, ...result } = body
    expectMatchesReference('POST', '/global/upgrade', 200, result)
    expect(result.success).to.equal(false)
    expect({ name, data }).to.deep.equal({ name: 'UpgradeUnavailableError', data: { message: result.error } })
    expect(body.error)
      .to.include(`opencode-kernel ${KERNEL_VERSION} is installed with npm`)
      .and.include('npm install -g opencode-kernel@1.2.3')
    const odd = (
      await server.app.inject({ method: 'POST', url: '/global/upgrade', payload: { target: '$(rm -rf /)' } })
    ).json()
    expect(odd.error).to.include('opencode-kernel@latest')
    expect((await server.app.inject({ method: 'POST', url: '/global/upgrade', payload: {} })).json().name).to.equal(
      'BadRequest',
    )
  })
})
