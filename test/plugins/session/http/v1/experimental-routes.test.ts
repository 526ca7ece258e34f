import { expect } from 'chai'
import { cleanup, gitRepo, tempDir } from '../../../../support/helper.js'
import { expectMatchesReference } from '../../../../support/openapi.js'
import { sessionHarness, until } from '../../../../support/session.js'

describe('session: experimental routes', () => {
  afterEach(cleanup)

  describe('GET /experimental/session', () => {
    it("lists every project's sessions newest first, each with its project, archived ones left out unless asked", async () => {
      const h = await sessionHarness({ extraPlugins: ['project'] })
      // Other content: two repos committed alike in the same second share a root commit (a project id).
      const other = gitRepo({ 'README.md': '# another repo\n' })
      const plain = tempDir()
      const first = await h.createSession({ title: 'first in repo' })
      const elsewhere = (await h.call('POST', `/session?directory=${other}`, { title: 'in another repo' })).body
      const outside = (await h.call('POST', `/session?directory=${plain}`, { title: 'outside git' })).body
      const child = await h.createSession({ title: 'a child', parentID: first.id })
      await new Promise((resolve) => setTimeout(resolve, 3)) // distinct update times
      const archived = await h.createSession({ title: 'archived one' })
      await h.call('PATCH', `/session/${archived.id}`, { time: { archived: Date.now() } })

      const response = await h.call('GET', '/experimental/session')
      expect(response.status).to.equal(200)
      expectMatchesReference('GET', '/experimental/session', 200, response.body)
      expect(response.body.map((s: any) => s.id)).to.deep.equal([child.id, outside.id, elsewhere.id, first.id])
      const byId = new Map(response.body.map((s: any) => [s.id, s]))
      expect((byId.get(first.id) as any).project).to.deep.equal({ id: first.projectID, worktree: h.repo })
      expect((byId.get(elsewhere.id) as any).project).to.include({ worktree: other })
      expect((byId.get(outside.id) as any).project).to.deep.equal({ id: 'global', worktree: '/' })
      expect(response.headers['x-next-cursor']).to.equal(undefined)

      const all = (await h.call('GET', '/experimental/session?archived=true')).body.map((s: any) => s.id)
      expect(all[0]).to.equal(archived.id)
      expect(all).to.have.length(5)
      expect((await h.call('GET', '/experimental/session?roots=true')).body.map((s: any) => s.id)).to.deep.equal([
        outside.id,
        elsewhere.id,
        first.id,
      ])
      expect((await h.call('GET', '/experimental/session?search=another')).body.map((s: any) => s.id)).to.deep.equal([
        elsewhere.id,
      ])
      expect((await h.call('GET', `/experimental/session?start=${Date.now() + 60_000}`)).body).to.deep.equal([])
    })

    it('pages with x-next-cursor until the last page', async () => {
      const h = await sessionHarness()
      const ids: string[] = []
      for (let i = 0; i < 5; i++) {
        ids.unshift((await h.createSession({ title: `session ${i}` })).id)
        await new Promise((resolve) => setTimeout(resolve, 3)) // distinct update times
      }
      const seen: string[] = []
      let cursor: string | undefined
      for (let page = 0; page < 5; page++) {
        const response = await h.call('GET', `/experimental/session?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        seen.push(...response.body.map((s: any) => s.id))
        cursor = response.headers['x-next-cursor'] as string | undefined
        if (!cursor) break
      }
      expect(seen).to.deep.equal(ids)
    })

    it('answers 400 for a bad limit, cursor or flag', async () => {
      const h = await sessionHarness()
      for (const query of ['limit=0', 'limit=x', 'cursor=-1', 'roots=maybe']) {
        const response = await h.call('GET', `/experimental/session?${query}`)
        expect(response.status, query).to.equal(400)
        expect(response.body.name).to.equal('BadRequest')
      }
    })
  })

  describe('POST /experimental/session/:sessionID/background', () => {
    it('detaches a running subagent: the parent turn goes on while the child keeps running', async () => {
      const h = await sessionHarness()
      h.llm.script(
        {
          toolCalls: [
            { name: 'task', args: { description: 'Slow look', prompt: 'take your time', subagent_type: 'general' } },
          ],
        },
        { text: ['still ', 'working ', 'on ', 'it'], delayMs: 400 },
        { text: 'Carrying on without waiting.' },
      )
      const session = await h.createSession()
      expect((await h.call('POST', `/experimental/session/${session.id}/background`)).body).to.equal(false)
      const reply = h.prompt(session.id, 'delegate this')
      await h.llm.untilRequests(2)
      const response = await h.call('POST', `/experimental/session/${session.id}/background`)
      expectMatchesReference('POST', '/experimental/session/{sessionID}/background', 200, response.body)
      expect(response.body).to.equal(true)

      const done = (await reply).body
      expect(done.parts.find((p: any) => p.type === 'text').text).to.equal('Carrying on without waiting.')
      const [child] = (await h.call('GET', `/session/${session.id}/children`)).body
      const tool = (await h.call('GET', `/session/${session.id}/message`)).body[1].parts.find(
        (p: any) => p.type === 'tool',
      )
      expect(tool.state.status).to.equal('completed')
      expect(tool.state.output).to.contain(`task_id: ${child.id}`).and.contain('continues in the background')
      expect(tool.state.metadata).to.deep.equal({ sessionId: child.id, background: true })

      // The parent finished first; the child finishes on its own afterwards.
      await until(
        () => h.events.some((e) => e.type === 'session.idle' && (e.properties as any).sessionID === child.id),
        15_000,
        'the child to finish',
      )
      const childMessages = (await h.call('GET', `/session/${child.id}/message`)).body
      expect(childMessages[1].parts.find((p: any) => p.type === 'text').text).to.equal('still working on it')
      expect(childMessages[1].info.error).to.equal(undefined)
      expect((await h.call('POST', `/experimental/session/${session.id}/background`)).body).to.equal(false)
    })

    it('answers false for an unknown session and 400 for an id that is no session id', async () => {
      const h = await sessionHarness()
      expect((await h.call('POST', '/experimental/session/ses_unknown123/background')).body).to.equal(false)
      expect((await h.call('POST', '/experimental/session/nope/background')).status).to.equal(400)
    })
  })
})
