// Abort and shutdown while the bash tool runs: no process of its group is left (checked with ps),
// and the tool part ends as an error.
import { randomBytes } from 'node:crypto'
import { groupAlive, processesMatching, processTable, waitFor } from '../support/server-process.js'
import { check, project, soakLlm, type Scenario } from './common.js'

const scenario: Scenario = {
  name: 'abort and shutdown during bash: no process left',
  async run({ short }) {
    const rounds = short ? 1 : 5
    const llm = await soakLlm()
    llm.fallback = () => ({ text: 'done' })
    const p = project(llm)
    let aborted = 0
    let shutdowns = 0
    for (let round = 0; round < rounds; round++) {
      for (const ending of ['abort', 'SIGTERM', 'SIGINT'] as const) {
        const marker = `soak-${randomBytes(4).toString('hex')}`
        // `sleep 30 & wait` too: a background child in the same group must end with it.
        llm.script({
          toolCalls: [
            { name: 'bash', args: { command: `sleep 30 & sleep 31; echo ${marker}`, description: 'Sleeps' } },
          ],
        })
        const server = await p.start()
        const session = (await server.call('POST', '/session', {})).body as { id: string }
        await server.call('POST', `/session/${session.id}/prompt_async`, { parts: [{ type: 'text', text: 'sleep' }] })
        const shell = await waitFor(
          () => processesMatching(marker).find((ps) => ps.pid === ps.pgid),
          30_000,
          'the bash tool to start',
        )
        await waitFor(
          () => (processesMatching('sleep 31').some((ps) => ps.pgid === shell.pgid) ? true : undefined),
          10_000,
          'sleep to start',
        )
        if (ending === 'abort') {
          check((await server.call('POST', `/session/${session.id}/abort`)).status === 200, 'abort failed')
          await waitFor(() => (groupAlive(shell.pgid) ? undefined : true), 5000, 'the group to end after abort').catch(
            () => undefined,
          )
          const messages = (await server.call('GET', `/session/${session.id}/message`)).body as {
            parts: { type: string; state?: { status: string; error?: string } }[]
          }[]
          const tool = messages.flatMap((m) => m.parts).find((part) => part.type === 'tool')
          check(
            tool?.state?.status === 'error' || tool?.state?.status === 'completed',
            `tool part after abort: ${JSON.stringify(tool?.state)}`,
          )
          aborted++
          await server.stop('SIGTERM')
        } else {
          const code = await server.stop(ending)
          check(code === 0, `${ending}: exit ${code}\n${server.log().slice(-2000)}`)
          shutdowns++
        }
        // A killed orphan may take a moment to be reaped by init.
        await waitFor(() => (groupAlive(shell.pgid) ? undefined : true), 3000, 'the group to be reaped').catch(
          () => undefined,
        )
        const left = processTable().filter((ps) => ps.pgid === shell.pgid)
        if (left.length) process.kill(-shell.pgid, 'SIGKILL')
        check(left.length === 0, `after ${ending}: left running: ${left.map((l) => `${l.pid} ${l.args}`).join('; ')}`)
      }
    }
    return {
      figures: {
        'aborts during bash': aborted,
        'shutdowns (SIGTERM/SIGINT) during bash': shutdowns,
        'processes left': 0,
      },
    }
  },
}
export default scenario
