import { expect } from 'chai'
import { cleanup, git, gitRepo, startServer, tempDir, type TestServer } from '../../helper.js'

describe('plugin: vcs', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({ only: ['core', 'vcs'] })
  })
  after(cleanup)

  it('answers the current branch of a git repository', async () => {
    const repo = gitRepo()
    expect((await server.app.inject({ url: `/vcs?directory=${repo}` })).json()).to.deep.equal({ branch: 'main' })
  })

  it('answers branch null outside git', async () => {
    expect((await server.app.inject({ url: `/vcs?directory=${tempDir()}` })).json()).to.deep.equal({ branch: null })
  })

  it('publishes vcs.branch.updated when HEAD changes', async () => {
    const repo = gitRepo()
    await server.app.inject({ url: `/vcs?directory=${repo}` })
    await new Promise((resolve) => setTimeout(resolve, 50))
    const seen = new Promise<unknown>((resolve) => {
      const unsubscribe = server.kernel.bus.subscribe((event) => {
        if (event.payload.type !== 'vcs.branch.updated') return
        unsubscribe()
        resolve(event.payload.properties)
      }, repo)
    })
    git(repo, 'checkout', '-q', '-b', 'feature/x')
    expect(await seen).to.deep.equal({ branch: 'feature/x' })
    expect((await server.app.inject({ url: `/vcs?directory=${repo}` })).json()).to.deep.equal({ branch: 'feature/x' })
  })
})
