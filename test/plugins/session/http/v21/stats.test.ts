// OpenCode 2.1's `GET /api/experimental/session/stats`: usage over a time range, from real runs
// against the scripted LLM (times moved in the database where a test needs other days).
import { expect } from 'chai'
import { cleanup, gitRepo } from '../../../../support/helper.js'
import { expectMatches21 } from '../../../../support/openapi.js'
import { writeScriptedConfig } from '../../../../support/server-process.js'
import { sessionHarness, type SessionHarness } from '../../../../support/session.js'

const PATH = '/api/experimental/session/stats'
const MODEL = { id: 'test-model', providerID: 'scripted' }
const TEST_MODEL = { name: 'Test model', cost: { input: 1, output: 2 }, limit: { context: 100000, output: 4096 } }
type Item = {
  id: string
  type: string
  time: { created: number; ran?: number; completed?: number }
  [key: string]: any
}

describe('session: OpenCode 2.1 usage stats', () => {
  let h: SessionHarness
  before(async () => {
    h = await sessionHarness({ files: { 'a.txt': 'one\n' }, testModel: TEST_MODEL })
  })
  after(cleanup)

  const stats = async (query = '') => {
    const response = await h.call('GET', `${PATH}${query ? `?${query}` : ''}`)
    expect(response.status, JSON.stringify(response.body)).to.equal(200)
    expectMatches21('GET', PATH, 200, response.body)
    return response.body.data
  }
  const create = async (body: Record<string, unknown> = { location: { directory: h.repo } }) => {
    const created = await h.call('POST', '/api/session', body)
    expect(created.status, JSON.stringify(created.body)).to.equal(200)
    return created.body.data as { id: string; projectID: string }
  }
  const run = async (sessionID: string, text: string) => {
    expect((await h.call('POST', `/api/session/${sessionID}/prompt`, { text })).status).to.equal(200)
    expect((await h.call('POST', `/api/experimental/session/${sessionID}/wait`)).status).to.equal(204)
  }
  const transcript = async (sessionID: string): Promise<Item[]> =>
    (await h.call('GET', `/api/session/${sessionID}/message?limit=500&order=asc`)).body.data
  /** Moves a message to another time, as if it had been written then. */
  const moveTo = (messageID: string, time: number) =>
    h.server.kernel.storage.db
      .prepare("UPDATE message SET data = json_set(data, '$.time.created', ?) WHERE id = ?")
      .run(time, messageID)

  it('answers zeros and an empty range (now) before any session has a message', async () => {
    const before = Date.now()
    const data = await stats()
    expect(data.range.from).to.equal(data.range.to).and.within(before, Date.now())
    expect(data).to.deep.include({ sessions: 0, subagents: 0, prompts: 0, steps: 0, cost: 0, activeDays: 0 })
    expect(data.tools).to.deep.equal({ mode: 'summary', totals: { calls: 0, succeeded: 0, failed: 0, unfinished: 0 } })
    expect(data).to.deep.include({ streak: 0, activity: [], models: [] })
  })

  it('counts root sessions, subagents, prompts, steps, tokens, cost, models and tool calls', async () => {
    const start = Date.now()
    const root = await create()
    h.llm.script({ text: 'Hello', usage: { prompt_tokens: 10, completion_tokens: 2 } })
    await run(root.id, 'hi')
    h.llm.script(
      {
        toolCalls: [
          { name: 'read', args: { filePath: 'a.txt' } },
          { name: 'read', args: { filePath: 'missing.txt' } },
        ],
        usage: { prompt_tokens: 20, completion_tokens: 4, cached_tokens: 5 },
      },
      { text: 'Read it.', usage: { prompt_tokens: 30, completion_tokens: 6 } },
    )
    await run(root.id, 'read the files')
    // The user's own shell command is neither a prompt nor a model step.
    const shell = await h.call('POST', `/session/${root.id}/shell`, { agent: 'build', command: 'echo hi' })
    expect(shell.status, JSON.stringify(shell.body)).to.equal(200)
    const child = await create({ parentID: root.id })
    h.llm.script({ text: 'Sub', usage: { prompt_tokens: 7, completion_tokens: 1 } })
    await run(child.id, 'help the parent')

    const steps = [...(await transcript(root.id)), ...(await transcript(child.id))].filter(
      (item) => item.type === 'assistant' && item.content.every((part: Item) => part.name !== 'bash'),
    )
    expect(steps).to.have.length(4)
    const sum = (pick: (item: Item) => number) => steps.reduce((total, item) => total + pick(item), 0)
    const tokens = {
      input: sum((item) => item.tokens.input),
      output: sum((item) => item.tokens.output),
      reasoning: 0,
      cache: { read: sum((item) => item.tokens.cache.read), write: 0 },
    }
    expect(tokens.input).to.be.greaterThan(0)
    const cost = sum((item) => item.cost)
    expect(cost).to.be.greaterThan(0)

    const data = await stats(`from=${start}`)
    expect(data).to.deep.include({ sessions: 1, subagents: 1, prompts: 2, steps: 4, tokens })
    expect(data.cost).to.be.closeTo(cost, 1e-12)
    expect(data.range.from).to.equal(start)
    expect(data.tools).to.deep.equal({ mode: 'summary', totals: { calls: 2, succeeded: 1, failed: 1, unfinished: 0 } })
    expect(data.models).to.have.length(1)
    expect(data.models[0]).to.deep.include({ model: MODEL, steps: 4, tokens })
    expect(data.models[0].cost).to.be.closeTo(cost, 1e-12)
    const today = new Date().toISOString().slice(0, 10)
    expect(data).to.deep.include({ activeDays: 1, streak: 1, activity: [{ date: today, steps: 4 }] })

    const calls: Item[] = steps.flatMap((item) => item.content.filter((part: Item) => part.type === 'tool'))
    const duration = (call: Item) => call.time.completed! - call.time.ran!
    const durations = calls.map(duration).sort((a, b) => a - b)
    const detail = await stats(`from=${start}&tools=detail`)
    expect(detail.tools.usage).to.deep.equal([
      {
        name: 'read',
        calls: 2,
        succeeded: 1,
        failed: 1,
        unfinished: 0,
        durationP50: (durations[0]! + durations[1]!) / 2,
      },
    ])
    expect((await stats(`from=${start}&tools=none`)).tools).to.deep.equal({ mode: 'none' })

    // A call still running (as a crash leaves it) is unfinished and has no run time yet.
    const [partID] = h.server.kernel.storage.db
      .prepare(
        "SELECT id FROM part WHERE session_id = ? AND json_extract(data, '$.state.status') = 'error' AND json_extract(data, '$.tool') = 'read'",
      )
      .pluck()
      .all(root.id) as string[]
    h.server.kernel.storage.db
      .prepare("UPDATE part SET data = json_set(data, '$.state', json(?)) WHERE id = ?")
      .run(JSON.stringify({ status: 'running', input: {}, time: { start: Date.now() } }), partID)
    const running = await stats(`from=${start}&tools=detail`)
    expect(running.tools.totals).to.deep.equal({ calls: 2, succeeded: 1, failed: 0, unfinished: 1 })
    const succeeded = calls.find((call) => call.state.status === 'completed')!
    expect(running.tools.usage[0]).to.deep.include({ unfinished: 1, durationP50: duration(succeeded) })
  })

  it('counts only what was created in [from, to), given as epoch ms or ISO 8601', async () => {
    const session = await create()
    h.llm.script({ text: 'one' }, { text: 'two' })
    await run(session.id, 'first')
    await run(session.id, 'second')
    const items = (await transcript(session.id)).filter((item) => item.type === 'user' || item.type === 'assistant')
    // Moved to known instants: prompt, step, prompt, step.
    const base = Date.UTC(2003, 5, 1, 12)
    const [firstPrompt, firstStep, secondPrompt, secondStep] = [base, base + 100, base + 1000, base + 1100]
    items.forEach((item, i) => moveTo(item.id, [firstPrompt, firstStep, secondPrompt, secondStep][i]!))

    const first = await stats(`from=${firstStep}&to=${secondPrompt}`)
    expect(first).to.deep.include({ range: { from: firstStep, to: secondPrompt }, sessions: 1, prompts: 0, steps: 1 })
    const second = await stats(`from=${new Date(secondPrompt).toISOString()}&to=2003-06-01T12:00:01.101%2B00:00`)
    expect(second).to.deep.include({ range: { from: secondPrompt, to: secondStep + 1 }, prompts: 1, steps: 1 })
    // `to` is exclusive, `from` inclusive.
    expect(await stats(`from=${firstPrompt}&to=${secondStep}`)).to.deep.include({ prompts: 2, steps: 1 })
    const after = await stats(`from=${secondStep + 1}&to=${secondStep + 2}`)
    expect(after).to.deep.include({ sessions: 0, prompts: 0, steps: 0, models: [], activity: [] })
  })

  it("filters by project: another project's sessions are left out, an unknown one counts nothing", async () => {
    const start = Date.now()
    const other = gitRepo()
    writeScriptedConfig(other, h.llm.url, undefined, TEST_MODEL)
    const here = await create()
    const there = await create({ location: { directory: other } })
    expect(there.projectID).to.not.equal(here.projectID)
    h.llm.script({ text: 'here' }, { text: 'there' })
    await run(here.id, 'here')
    await run(there.id, 'there')
    expect(await stats(`from=${start}`)).to.deep.include({ sessions: 2, prompts: 2, steps: 2 })
    const mine = await stats(`from=${start}&project=${here.projectID}`)
    expect(mine).to.deep.include({ sessions: 1, prompts: 1, steps: 1 })
    const theirs = await stats(`from=${start}&project=${there.projectID}`)
    expect(theirs).to.deep.include({ sessions: 1, prompts: 1, steps: 1 })
    const none = await stats(`project=prj_unknown`)
    expect(none).to.deep.include({ sessions: 0, steps: 0, activity: [] })
    expect(none.range.from).to.equal(none.range.to)
  })

  it('cuts days in the time zone asked for: activity, active days and the longest streak', async () => {
    const session = await create()
    h.llm.script({ text: 'a' }, { text: 'b' }, { text: 'c' })
    for (const text of ['a', 'b', 'c']) await run(session.id, text)
    const items = (await transcript(session.id)).filter((item) => item.type === 'user' || item.type === 'assistant')
    // 2001-03-01 23:30 UTC, 2001-03-02 10:00 UTC, 2001-03-04 10:00 UTC: one turn each.
    const times = [Date.UTC(2001, 2, 1, 23, 30), Date.UTC(2001, 2, 2, 10), Date.UTC(2001, 2, 4, 10)]
    items.forEach((item, i) => moveTo(item.id, times[i >> 1]! + (i % 2)))
    const range = `from=2001-02-01&to=2001-04-01`

    const utc = await stats(range)
    expect(utc).to.deep.include({ sessions: 1, prompts: 3, steps: 3, activeDays: 3, streak: 2 })
    expect(utc.activity).to.deep.equal([
      { date: '2001-03-01', steps: 1 },
      { date: '2001-03-02', steps: 1 },
      { date: '2001-03-04', steps: 1 },
    ])
    const tokyo = await stats(`${range}&timezone=Asia/Tokyo`)
    expect(tokyo).to.deep.include({ activeDays: 2, streak: 1 })
    expect(tokyo.activity).to.deep.equal([
      { date: '2001-03-02', steps: 2 },
      { date: '2001-03-04', steps: 1 },
    ])
    expect((await stats(`${range}&timezone=%2B05:45`)).activity).to.deep.equal(tokyo.activity)
    expect((await stats(`${range}&timezone=america/new_york`)).activity).to.deep.equal(utc.activity)

    // A date is the midnight starting it in the zone: in Tokyo, 2001-03-02 began at 15:00 UTC the day before.
    expect(await stats('from=2001-03-02&to=2001-04-01')).to.deep.include({ steps: 2 })
    const fromTokyo = await stats('from=2001-03-02&to=2001-04-01&timezone=Asia/Tokyo')
    expect(fromTokyo).to.deep.include({
      steps: 3,
      range: { from: Date.UTC(2001, 2, 1, 15), to: Date.UTC(2001, 3, 1) - 9 * 3600_000 },
    })

    // Without `from`, the range starts at the oldest message before `to`.
    expect((await stats(`to=${Date.UTC(2002, 0, 1)}`)).range).to.deep.equal({
      from: times[0],
      to: Date.UTC(2002, 0, 1),
    })
    expect((await stats('to=1000')).range).to.deep.equal({ from: 1000, to: 1000 })
  })

  it('answers 400 InvalidRequestError naming the field for a bad query, and changes nothing', async () => {
    const bad: [string, string | undefined][] = [
      ['from=bogus', 'from'],
      ['to=12abc', 'to'],
      ['from=2001-13-45', 'from'],
      ['from=2001-03-02T10:00', 'from'],
      ['from=1e400', 'from'],
      ['from=5&to=5', 'to'],
      [`from=${Date.now() + 60_000}`, 'to'],
      ['tools=all', 'tools'],
      ['timezone=Nope/Zone', 'timezone'],
      ['timezone=%2B25:00', 'timezone'],
      ['timezone=', 'timezone'],
    ]
    for (const [query, field] of bad) {
      const response = await h.call('GET', `${PATH}?${query}`)
      expect(response.status, query).to.equal(400)
      expectMatches21('GET', PATH, 400, response.body)
      expect(response.body, query).to.deep.include({ _tag: 'InvalidRequestError', kind: 'Query', field })
    }
    const range = await h.call('GET', `${PATH}?from=5&to=5`)
    expect(range.body.message).to.equal('Stats range must end after it starts')
    const zone = await h.call('GET', `${PATH}?timezone=Nope/Zone`)
    expect(zone.body.message).to.equal('Invalid time zone: Nope/Zone')
  })
})
