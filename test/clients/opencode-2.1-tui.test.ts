import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { cleanup, listen, onCleanup, tempDir } from '../support/helper.js'
import { opencodeBinary, plain } from '../support/opencode-cli.js'
import { sessionHarness } from '../support/session.js'
import { until } from '../support/wait.js'

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' })

/** OpenCode 2.1.2's TUI (`opencode --server URL`) in a real terminal (tmux), typed into as a user would. */
describe('clients: OpenCode 2.1.2 TUI `opencode --server`', function () {
  this.timeout(120_000)
  after(cleanup)

  it('starts against this server, takes a prompt and shows the streamed answer', async function () {
    this.timeout(400_000)
    const binary = opencodeBinary('2.1.2')
    const h = await sessionHarness({ server: { only: undefined } })
    const url = await listen(h.server)
    const home = tempDir('ok-oc2-tui-')
    const name = `ok-tui-${process.pid}`
    const env = [
      `HOME=${home}`,
      `PWD=${h.repo}`,
      `XDG_CONFIG_HOME=${join(home, '.config')}`,
      `XDG_DATA_HOME=${join(home, '.local/share')}`,
      `XDG_STATE_HOME=${join(home, '.local/state')}`,
      `XDG_CACHE_HOME=${join(home, '.cache')}`,
    ]
    tmux('new-session', '-d', '-s', name, '-x', '140', '-y', '40', '-c', h.repo, 'env', ...env, binary, '--server', url)
    onCleanup(() => {
      try {
        tmux('kill-session', '-t', name)
      } catch {
        // already gone
      }
    })
    const screen = () => plain(tmux('capture-pane', '-p', '-t', name))
    await until(() => screen().includes('Ask anything'), 60_000, 'the TUI to start')
    // The prompt's footer names the agent and this server's default model.
    await until(() => screen().includes('Test model'), 30_000, 'the model in the footer')

    h.llm.script({ text: ['The TUI ', 'got its answer.'] })
    tmux('send-keys', '-t', name, 'hello from the TUI', 'Enter')
    await until(() => screen().includes('The TUI got its answer.'), 30_000, 'the answer on screen')
    const sessions = (await h.call('GET', `/session?directory=${encodeURIComponent(h.repo)}`)).body as any[]
    expect(sessions).to.have.length(1)
    const messages = (await h.call('GET', `/session/${sessions[0].id}/message`)).body as any[]
    expect(messages.map((message) => message.info.role)).to.deep.equal(['user', 'assistant'])
  })
})
