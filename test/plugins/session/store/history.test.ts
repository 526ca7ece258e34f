import { expect } from 'chai'
import { expectMatchesReference } from '../../../support/openapi.js'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, git } from '../../../support/helper.js'
import { sessionHarness, until } from '../../../support/session.js'

const parts = (message: any, type: string) => message.parts.filter((p: any) => p.type === type)

describe('plugin: session (snapshots, diff, revert, fork)', () => {
  afterEach(cleanup)

  it('records what a step changed, diffs it, reverts and unreverts it, leaving the user’s git alone', async () => {
    const h = await sessionHarness({ files: { 'a.txt': 'one\n' }, extraPlugins: ['snapshot'] })
    const head = git(h.repo, 'rev-parse', 'HEAD')
    h.llm.script(
      {
        toolCalls: [
          { name: 'write', args: { filePath: 'b.txt', content: 'hello\nworld\n' } },
          { name: 'write', args: { filePath: 'a.txt', content: 'one\ntwo\n' } },
        ],
      },
      { text: 'Done.' },
    )
    const session = await h.createSession()
    expect((await h.prompt(session.id, 'write files')).status).to.equal(200)

    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    const [stepStart] = parts(messages[1], 'step-start')
    const [patch] = parts(messages[1], 'patch')
    expect(stepStart.snapshot).to.match(/^[0-9a-f]{40}$/)
    expect(patch.hash).to.equal(stepStart.snapshot)
    expect([...patch.files].sort()).to.deep.equal([join(h.repo, 'a.txt'), join(h.repo, 'b.txt')])
    expect(parts(messages[1], 'step-finish')[0].snapshot).to.match(/^[0-9a-f]{40}$/)
    expect(parts(messages[2], 'patch')).to.have.length(0)

    const diff = (await h.call('GET', `/session/${session.id}/diff`)).body
    // OpenCode 1.18's shape exactly: a unified patch per file, no contents.
    expectMatchesReference('GET', '/session/{sessionID}/diff', 200, diff)
    const byFile = Object.fromEntries(diff.map((d: any) => [d.file, d]))
    expect(byFile['b.txt']).to.deep.include({ additions: 2, deletions: 0, status: 'added' })
    expect(byFile['b.txt'].patch).to.include('+hello\n+world')
    expect(byFile['a.txt']).to.deep.include({ additions: 1, deletions: 0, status: 'modified' })
    expect(byFile['a.txt'].patch).to.include(' one\n+two')
    expect((await h.call('GET', `/session/${session.id}/diff?messageID=${messages[0].info.id}`)).body).to.have.length(2)
    await until(() => h.events.some((e) => e.type === 'session.diff'), 5000, 'session.diff')
    expect((h.events.find((e) => e.type === 'session.diff')!.properties as any).diff).to.have.length(2)
    expect((await h.call('GET', `/session/${session.id}`)).body.summary).to.deep.equal({
      additions: 3,
      deletions: 0,
      files: 2,
    })

    // The user's repository: same HEAD, same branches, nothing staged, no stash.
    expect(git(h.repo, 'rev-parse', 'HEAD')).to.equal(head)
    expect(git(h.repo, 'branch', '--format=%(refname:short)')).to.equal('main')
    expect(git(h.repo, 'diff', '--cached', '--name-only')).to.equal('')
    expect(git(h.repo, 'stash', 'list')).to.equal('')
    expect(git(h.repo, 'status', '--porcelain'))
      .to.contain('?? b.txt')
      .and.match(/^ ?M a\.txt/m)

    const reverted = await h.call('POST', `/session/${session.id}/revert`, { messageID: messages[0].info.id })
    expect(reverted.status).to.equal(200)
    expect(reverted.body.revert.messageID).to.equal(messages[0].info.id)
    expect(existsSync(join(h.repo, 'b.txt'))).to.equal(false)
    expect(readFileSync(join(h.repo, 'a.txt'), 'utf8')).to.equal('one\n')

    const unreverted = await h.call('POST', `/session/${session.id}/unrevert`)
    expect(unreverted.body.revert).to.equal(undefined)
    expect(readFileSync(join(h.repo, 'b.txt'), 'utf8')).to.equal('hello\nworld\n')
    expect(readFileSync(join(h.repo, 'a.txt'), 'utf8')).to.equal('one\ntwo\n')
    expect(git(h.repo, 'rev-parse', 'HEAD')).to.equal(head)
    expect(git(h.repo, 'diff', '--cached', '--name-only')).to.equal('')

    // Revert again, then prompt: the reverted messages are gone for good.
    await h.call('POST', `/session/${session.id}/revert`, { messageID: messages[0].info.id })
    h.llm.script({ text: 'Fresh start.' })
    await h.prompt(session.id, 'start over')
    const after = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(after.map((m: any) => m.info.role)).to.deep.equal(['user', 'assistant'])
    expect(after[1].parts.find((p: any) => p.type === 'text').text).to.equal('Fresh start.')
    expect((await h.call('GET', `/session/${session.id}`)).body.revert).to.equal(undefined)
  })

  it('answers 409 for revert and unrevert while the session is busy, 404/400 for bad ids', async () => {
    const h = await sessionHarness({ extraPlugins: ['snapshot'] })
    h.llm.script({ text: 'slow', delayMs: 60_000 })
    const session = await h.createSession()
    const reply = h.prompt(session.id, 'hi')
    await h.llm.untilRequests(1)
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    expect((await h.call('POST', `/session/${session.id}/revert`, { messageID: messages[0].info.id })).status).to.equal(
      409,
    )
    expect((await h.call('POST', `/session/${session.id}/unrevert`)).status).to.equal(409)
    await h.call('POST', `/session/${session.id}/abort`)
    await reply
    expect((await h.call('POST', `/session/${session.id}/revert`, { messageID: 'msg_unknown' })).status).to.equal(404)
    expect((await h.call('POST', `/session/${session.id}/revert`, { messageID: 'nope' })).status).to.equal(400)
    expect((await h.call('POST', `/session/${session.id}/revert`, {})).status).to.equal(400)
    expect((await h.call('GET', `/session/${session.id}/diff?messageID=msg_unknown`)).status).to.equal(404)
  })

  it('forks up to a message; the fork and the original then diverge', async () => {
    const h = await sessionHarness()
    h.llm.script({ text: 'first answer' }, { text: 'second answer' })
    const session = await h.createSession()
    await h.prompt(session.id, 'first')
    await h.prompt(session.id, 'second')
    const original = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(original).to.have.length(4)

    const fork = (await h.call('POST', `/session/${session.id}/fork`, { messageID: original[2].info.id })).body
    expect(fork.id).to.not.equal(session.id)
    const copied = (await h.call('GET', `/session/${fork.id}/message`)).body
    expect(copied.map((m: any) => m.info.role)).to.deep.equal(['user', 'assistant'])
    expect(copied[0].info.id).to.not.equal(original[0].info.id)
    expect(copied[1].info.parentID).to.equal(copied[0].info.id)
    expect(copied[1].parts.find((p: any) => p.type === 'text').text).to.equal('first answer')
    expect(copied[1].parts.every((p: any) => p.sessionID === fork.id && p.messageID === copied[1].info.id)).to.equal(
      true,
    )

    h.llm.script({ text: 'fork answer' })
    await h.prompt(fork.id, 'in the fork')
    expect((await h.call('GET', `/session/${fork.id}/message`)).body).to.have.length(4)
    expect((await h.call('GET', `/session/${session.id}/message`)).body).to.deep.equal(original)
    expect((await h.call('POST', `/session/${session.id}/fork`, {})).status).to.equal(200)
    expect((await h.call('POST', `/session/${session.id}/fork`, { messageID: 'msg_nope' })).status).to.equal(404)
  })
})
