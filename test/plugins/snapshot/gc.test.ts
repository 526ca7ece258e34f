import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { existsSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, onCleanup, tempDir } from '../../support/helper.js'
import { sessionHarness, until } from '../../support/session.js'
import { ScriptedLlm } from '../../support/llm.js'

describe('plugin: snapshot (garbage collection)', () => {
  afterEach(cleanup)

  it('prunes snapshots older than a week once a day, keeping recent ones', async () => {
    const dataDir = tempDir('ok-data-')
    const llm = new ScriptedLlm()
    await llm.start()
    onCleanup(() => llm.close())
    const first = await sessionHarness({ llm, dataDir, extraPlugins: ['snapshot'] })
    llm.script({ toolCalls: [{ name: 'write', args: { filePath: 'a.txt', content: 'a\n' } }] }, { text: 'ok' })
    const session = await first.createSession()
    await first.prompt(session.id, 'write')
    const projectID = (await first.server.kernel.instances.get(first.repo)).project.id
    const store = join(dataDir, 'snapshot', projectID)
    const stamp = join(store, 'opencode-kernel-gc')
    await until(() => existsSync(stamp), 5000, 'gc stamp of a new store')
    const messages = (await first.call('GET', `/session/${session.id}/message`)).body
    const recent = messages[1].parts.find((p: any) => p.type === 'step-start').snapshot as string

    const env = { ...process.env, GIT_DIR: store }
    const blob = join(tempDir(), 'old.txt')
    writeFileSync(blob, 'an old snapshot nobody needs\n')
    const old = execFileSync('git', ['hash-object', '-w', blob], { env }).toString().trim()
    const tenDaysAgo = new Date(Date.now() - 10 * 24 * 3600_000)
    utimesSync(join(store, 'objects', old.slice(0, 2), old.slice(2)), tenDaysAgo, tenDaysAgo)
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000)
    utimesSync(stamp, twoDaysAgo, twoDaysAgo)
    const exists = (hash: string) => {
      try {
        execFileSync('git', ['cat-file', '-e', hash], { env, stdio: 'ignore' })
        return true
      } catch {
        return false
      }
    }
    expect(exists(old)).to.equal(true)

    // A restarted server collects on its first snapshot, since the last collection is two days old.
    await first.server.close()
    const second = await sessionHarness({ llm, dataDir, repo: first.repo, extraPlugins: ['snapshot'] })
    second.llm.script({ toolCalls: [{ name: 'write', args: { filePath: 'b.txt', content: 'b\n' } }] }, { text: 'ok' })
    await second.prompt((await second.createSession()).id, 'write more')
    await until(() => statSync(stamp).mtimeMs > twoDaysAgo.getTime() + 1000, 10_000, 'gc')
    expect(exists(old)).to.equal(false)
    expect(exists(recent)).to.equal(true)
  })
})
