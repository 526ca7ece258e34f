// 20 sessions × 5 concurrent prompts each: every prompt answered, no 5xx, and the conversation in
// order: every model call ends with the turn's own user input, each reply listed right after the
// prompt(s) it answers (ids sorting in that order), no prompt lost or answered twice.
import type { RecordedRequest, Turn } from '../support/llm.js'
import { check, pool, project, soakLlm, type Scenario } from './common.js'

type Message = {
  info: { id: string; role: string; parentID?: string }
  parts: { type: string; text?: string; synthetic?: boolean }[]
}

function lastUserText(body: RecordedRequest['body']): string {
  const last = body.messages.at(-1)
  return JSON.stringify(last?.content ?? '')
}

const scenario: Scenario = {
  name: '20 sessions × 5 concurrent prompts: all answered, conversation order, no 5xx',
  async run({ short }) {
    const sessionsCount = short ? 5 : 20
    const perSession = 5
    const llm = await soakLlm()
    llm.fallback = (body): Turn => ({ text: [`answer to `, lastUserText(body).slice(0, 40)], delayMs: 5 })
    const p = project(llm)
    const server = await p.start()
    const sessions = await pool(
      Array.from({ length: sessionsCount }),
      8,
      async () => (await server.call('POST', '/session', {})).body.id as string,
    )

    const statuses: number[] = []
    await pool(sessions, sessionsCount, (sessionID) =>
      Promise.all(
        Array.from({ length: perSession }, async (_, j) => {
          const response = await server.call('POST', `/session/${sessionID}/message`, {
            parts: [{ type: 'text', text: `p${j} of ${sessionID}` }],
          })
          statuses.push(response.status)
        }),
      ),
    )
    const fivexx = statuses.filter((s) => s >= 500).length
    const notAnswered = statuses.filter((s) => s !== 200).length

    // Every model call ends with user input (the turn's own prompt), never with an assistant message.
    const endingOnAssistant = llm.requests.filter(
      (r) => r.body.messages.at(-1)?.role !== 'user' && r.body.messages.at(-1)?.role !== 'tool',
    ).length

    const problems: string[] = []
    for (const sessionID of sessions) {
      const messages = (await server.call('GET', `/session/${sessionID}/message`)).body as Message[]
      const ids = messages.map((m) => m.info.id)
      if (JSON.stringify(ids) !== JSON.stringify([...ids].sort()))
        problems.push(`${sessionID}: ids do not sort in listing order`)
      const users = messages.filter((m) => m.info.role === 'user')
      const texts = users.map((m) =>
        m.parts
          .filter((part) => part.type === 'text' && !part.synthetic)
          .map((part) => part.text)
          .join(''),
      )
      for (let j = 0; j < perSession; j++) {
        const count = texts.filter((t) => t === `p${j} of ${sessionID}`).length
        if (count !== 1) problems.push(`${sessionID}: prompt p${j} stored ${count} times`)
      }
      // Groups of [user+, assistant+]: each reply's parent is the last prompt before it.
      let lastUser: string | undefined
      const answered = new Set<string>()
      for (const message of messages) {
        if (message.info.role === 'user') lastUser = message.info.id
        else {
          if (message.info.parentID !== lastUser)
            problems.push(
              `${sessionID}: reply ${message.info.id} answers ${message.info.parentID}, listed after ${lastUser}`,
            )
          answered.add(message.info.parentID ?? '')
        }
      }
      const last = messages.at(-1)
      if (last?.info.role !== 'assistant') problems.push(`${sessionID}: the last prompt has no reply after it`)
    }

    check(fivexx === 0, `${fivexx} × 5xx`)
    check(notAnswered === 0, `${notAnswered} prompts not answered 200`)
    check(
      endingOnAssistant === 0,
      `${endingOnAssistant} of ${llm.requests.length} model calls ended on an assistant message`,
    )
    check(problems.length === 0, `conversation order broken (${problems.length}):\n${problems.slice(0, 10).join('\n')}`)
    return {
      figures: {
        sessions: sessionsCount,
        'prompts (concurrent per session)': `${sessionsCount * perSession} (${perSession})`,
        '5xx': fivexx,
        'model calls': llm.requests.length,
        'model calls ending on an assistant message': endingOnAssistant,
      },
    }
  },
}
export default scenario
