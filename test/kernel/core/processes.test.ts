// Shutdown, /global/dispose and instance disposal end every child process group the server
// started, checked with `ps`; interrupted tool parts end as errors.
import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { ProcessGroups } from '../../../kernel/core/processes.js'
import { cleanup, gitRepo, onCleanup, startServer, tempDir } from '../../support/helper.js'
import { ScriptedLlm } from '../../support/llm.js'
import { sessionHarness } from '../../support/session.js'
import {
  groupAlive,
  processesMatching,
  startServerProcess,
  waitFor,
  writeScriptedConfig,
} from '../../support/server-process.js'

/** A bash command unique to this test run, so `ps` finds only its processes. */
function sleeper(): { command: string; marker: string } {
  const marker = `done-${randomBytes(4).toString('hex')}`
  return { command: `sleep 30; echo ${marker}`, marker }
}

describe('kernel: child processes', () => {
  afterEach(cleanup)

  it('ends a SIGTERM-resistant process group with SIGKILL after the grace, and forgets untracked children', async () => {
    const groups = new ProcessGroups()
    const stubborn = spawn('bash', ['-c', 'trap "" TERM; sleep 30 & wait'], { detached: true, stdio: 'ignore' })
    onCleanup(() => groupAlive(stubborn.pid!) && process.kill(-stubborn.pid!, 'SIGKILL'))
    groups.track(stubborn, { label: 'stubborn', group: true })
    const quick = spawn('true', { detached: true, stdio: 'ignore' })
    const untrack = groups.track(quick, { label: 'quick', group: true })
    untrack()
    expect(groups.list().map((p) => p.label)).to.deep.equal(['stubborn'])
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(await groups.stop(undefined, 300)).to.equal(1)
    await waitFor(() => (groupAlive(stubborn.pid!) ? undefined : true), 5000, 'the group to end')
    expect(groups.size).to.equal(0)
  })

  it('ends the bash tool and its sleep when the server process gets SIGTERM, and the tool part ends as an error', async function () {
    this.timeout(90_000)
    const llm = new ScriptedLlm()
    await llm.start()
    onCleanup(() => llm.close())
    const repo = gitRepo()
    writeScriptedConfig(repo, llm.url)
    const dataDir = tempDir('ok-data-')
    const { command, marker } = sleeper()
    llm.script({ toolCalls: [{ name: 'bash', args: { command, description: 'Sleeps' } }] }, { text: 'slept' })
    const server = await startServerProcess({ cwd: repo, dataDir, configHome: tempDir('ok-config-') })
    onCleanup(() => server.stop('SIGKILL'))
    const session = (await server.call('POST', '/session', {})).body as { id: string }
    expect(
      (await server.call('POST', `/session/${session.id}/prompt_async`, { parts: [{ type: 'text', text: 'sleep' }] }))
        .status,
    ).to.equal(204)
    const shell = await waitFor(
      () => processesMatching(marker).find((p) => p.pid === p.pgid),
      30_000,
      'the bash tool to start',
    )
    onCleanup(() => groupAlive(shell.pgid) && process.kill(-shell.pgid, 'SIGKILL'))
    await waitFor(
      () => (processesMatching('sleep 30').some((p) => p.pgid === shell.pgid) ? true : undefined),
      10_000,
      'sleep to start',
    )

    expect(await server.stop('SIGTERM'), server.log().slice(-3000)).to.equal(0)
    expect(processesMatching(marker), 'bash -c left').to.deep.equal([])
    // Signalled before the server exited; a member may take a moment to be reaped.
    await waitFor(() => (groupAlive(shell.pgid) ? undefined : true), 3000, 'the process group to be gone')

    // What the next start on the same data dir shows: the call ended, nothing left running.
    const next = await startServer({ cwd: repo, dataDir })
    const messages = (await next.app.inject({ url: `/session/${session.id}/message` })).json() as {
      info: any
      parts: any[]
    }[]
    const tool = messages.flatMap((m) => m.parts).find((part) => part.type === 'tool')
    expect(tool.state.status).to.equal('error')
    expect(tool.state.error).to.match(/aborted|interrupted/)
    expect(messages.every((m) => m.info.role !== 'assistant' || m.info.time.completed)).to.equal(true)
    expect((await next.app.inject({ url: '/session/status' })).json()).to.deep.equal({})
  })

  it('ends the bash tool on POST /global/dispose and when its instance is disposed', async function () {
    this.timeout(60_000)
    const harness = await sessionHarness()
    for (const dispose of ['/global/dispose', '/instance/dispose']) {
      const { command, marker } = sleeper()
      // Only the call: the turn is aborted before the model is asked again.
      harness.llm.script({ toolCalls: [{ name: 'bash', args: { command, description: 'Sleeps' } }] })
      const session = await harness.createSession()
      void harness.prompt(session.id, 'sleep')
      const shell = await waitFor(
        () => processesMatching(marker).find((p) => p.pid === p.pgid),
        20_000,
        'the bash tool to start',
      )
      onCleanup(() => groupAlive(shell.pgid) && process.kill(-shell.pgid, 'SIGKILL'))
      expect(harness.server.kernel.processes.list().map((p) => p.label)).to.include('bash')
      expect((await harness.call('POST', dispose)).status).to.equal(200)
      await waitFor(() => (groupAlive(shell.pgid) ? undefined : true), 5000, `the group to end after ${dispose}`)
      expect(harness.server.kernel.processes.size).to.equal(0)
      const messages = (await harness.call('GET', `/session/${session.id}/message`)).body as { parts: any[] }[]
      const tool = messages.flatMap((m) => m.parts).find((part) => part.type === 'tool')
      expect(tool.state, dispose).to.include({ status: 'error', error: 'Tool execution aborted' })
    }
  })
})
