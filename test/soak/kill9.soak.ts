// kill -9 at random moments during streaming prompts and tool calls, then a restart on the same
// data dir: the database is intact, nothing a client was shown is lost, nothing stays running.
import Database from 'better-sqlite3'
import { join } from 'node:path'
import type { RecordedRequest, Turn } from '../support/llm.js'
import { check, project, sleep, soakLlm, type Scenario } from './common.js'

type Message = {
  info: { id: string; role: string; time: { completed?: number } }
  parts: { id: string; type: string; state?: { status: string } }[]
}

/** Streams slowly; a prompt saying "tool" first calls bash (or write), then streams. */
function answer(body: RecordedRequest['body']): Turn {
  const last = body.messages.at(-1)
  const text = JSON.stringify(last?.content ?? '')
  const slow = { text: Array.from({ length: 30 }, (_, i) => `word${i} `), delayMs: 15 }
  if (last?.role !== 'user' || !text.includes('tool')) return slow
  return Math.random() < 0.5
    ? { toolCalls: [{ name: 'bash', args: { command: 'sleep 1.5; echo hi', description: 'Waits a little' } }] }
    : { toolCalls: [{ name: 'write', args: { filePath: `notes/${Date.now()}.txt`, content: 'x\n'.repeat(100) } }] }
}

const scenario: Scenario = {
  name: 'kill -9 during streaming prompts and tool calls, restart on the same data dir',
  async run({ short }) {
    const cycles = short ? 5 : 50
    const llm = await soakLlm()
    llm.fallback = answer
    const p = project(llm)
    const database = join(p.dataDir, 'opencode-kernel.db')
    const shown = new Map<string, Set<string>>()
    const sessions: string[] = []
    let checkedMessages = 0
    let checkedParts = 0
    let killedDuringTool = 0

    for (let cycle = 0; cycle <= cycles; cycle++) {
      const server = await p.start()
      // What the previous kill left: nothing running, nothing lost, nothing busy.
      if (cycle > 0) {
        const status = (await server.call('GET', '/session/status')).body
        check(
          JSON.stringify(status) === '{}',
          `cycle ${cycle}: sessions still busy after restart: ${JSON.stringify(status)}`,
        )
        for (const sessionID of sessions) {
          const messages = (await server.call('GET', `/session/${sessionID}/message`)).body as Message[]
          const ids = new Set(messages.flatMap((m) => [m.info.id, ...m.parts.map((part) => part.id)]))
          for (const id of shown.get(sessionID) ?? [])
            check(ids.has(id), `cycle ${cycle}: ${id} of ${sessionID} was shown before the kill and is gone`)
          for (const message of messages) {
            check(
              message.info.role !== 'assistant' || message.info.time.completed,
              `cycle ${cycle}: message ${message.info.id} left incomplete`,
            )
            for (const part of message.parts) {
              check(
                part.type !== 'tool' || (part.state?.status !== 'running' && part.state?.status !== 'pending'),
                `cycle ${cycle}: tool part ${part.id} left ${part.state?.status}`,
              )
            }
          }
          checkedMessages += messages.length
          checkedParts += messages.reduce((n, m) => n + m.parts.length, 0)
        }
      }
      if (cycle === cycles) {
        await server.stop('SIGTERM')
        break
      }
      if (sessions.length < 4) {
        const created = await server.call('POST', '/session', {})
        check(created.status === 200, `cycle ${cycle}: POST /session → ${created.status}`)
        sessions.push(created.body.id)
      }
      for (const sessionID of sessions) {
        const text = Math.random() < 0.5 ? `use a tool, cycle ${cycle}` : `just talk, cycle ${cycle}`
        const sent = await server.call('POST', `/session/${sessionID}/prompt_async`, {
          parts: [{ type: 'text', text }],
        })
        check(sent.status === 204, `cycle ${cycle}: prompt_async → ${sent.status} ${JSON.stringify(sent.body)}`)
      }
      await sleep(100 + Math.random() * 1500)
      // What a client is shown right before the kill must survive it.
      for (const sessionID of sessions) {
        const messages = (await server.call('GET', `/session/${sessionID}/message`)).body as Message[]
        const ids = shown.get(sessionID) ?? new Set()
        for (const message of messages) {
          ids.add(message.info.id)
          for (const part of message.parts) ids.add(part.id)
          if (message.parts.some((part) => part.type === 'tool' && part.state?.status === 'running')) killedDuringTool++
        }
        shown.set(sessionID, ids)
      }
      server.child.kill('SIGKILL')
      await server.stop('SIGKILL')
      const db = new Database(database)
      const integrity = db.pragma('integrity_check', { simple: true })
      db.close()
      check(integrity === 'ok', `cycle ${cycle}: integrity_check says ${String(integrity)}`)
    }
    return {
      figures: {
        'kill -9 cycles': cycles,
        'integrity_check ok': `${cycles}/${cycles}`,
        'kills while a tool part was running': killedDuringTool,
        'messages / parts checked after restarts': `${checkedMessages} / ${checkedParts}`,
        'model requests': llm.requests.length,
      },
    }
  },
}
export default scenario
