// OpenCode 2.1's `GET /api/experimental/session/stats`: usage of every project's sessions (or one
// project's) over a time range: sessions, prompts, model steps, tokens, cost, tool reliability
// and daily activity. Sums come from SQL over the range's messages only (store/stats.ts).
import { Type, type Static } from 'typebox'
import { InvalidRequestError, StringEnum, v2Errors, type PluginApp } from '../../../../sdk/index.js'
import {
  SessionStatsQueries,
  type StatsRange,
  type StatsTokens,
  type StepGroup,
  type ToolCallRow,
} from '../../store/stats.js'
import { routeTags as tags, routeConfig as config } from '../v2/route-defaults.js'
import type { SessionV2Deps } from '../v2/routes.js'
import { dayOf, longestStreak, statsTime, statsZone, type Zone } from './stats-range.js'
import { Tokens } from './schemas.js'

const Count = Type.Integer({ minimum: 0 })
const Closed = { additionalProperties: false } as const
const ToolTotals = Type.Object({ calls: Count, succeeded: Count, failed: Count, unfinished: Count }, Closed)
const ToolUsage = Type.Object(
  { name: Type.String(), ...ToolTotals.properties, durationP50: Type.Optional(Type.Number()) },
  Closed,
)
const Tools = Type.Union([
  Type.Object({ mode: Type.Literal('none') }, Closed),
  Type.Object({ mode: Type.Literal('summary'), totals: ToolTotals }, Closed),
  Type.Object({ mode: Type.Literal('detail'), totals: ToolTotals, usage: Type.Array(ToolUsage) }, Closed),
])
const ModelUsage = Type.Object(
  {
    model: Type.Object({ id: Type.String(), providerID: Type.String() }, Closed),
    steps: Count,
    tokens: Tokens,
    cost: Type.Number(),
  },
  Closed,
)
/** 2.1's `SessionStats.Info`. */
const StatsInfo = Type.Object(
  {
    range: Type.Object({ from: Type.Number(), to: Type.Number() }, Closed),
    sessions: Count,
    subagents: Count,
    prompts: Count,
    steps: Count,
    tokens: Tokens,
    cost: Type.Number(),
    tools: Tools,
    activeDays: Count,
    streak: Count,
    activity: Type.Array(Type.Object({ date: Type.String(), steps: Count }, Closed)),
    models: Type.Array(ModelUsage),
  },
  Closed,
)
const StatsQuery = Type.Object({
  from: Type.Optional(Type.String({ maxLength: 100, description: 'Epoch ms, or an ISO 8601 date or date-time' })),
  to: Type.Optional(
    Type.String({ maxLength: 100, description: 'Epoch ms (exclusive), or an ISO 8601 date or date-time' }),
  ),
  project: Type.Optional(Type.String({ maxLength: 200, description: 'Only the sessions of this project' })),
  timezone: Type.Optional(Type.String({ maxLength: 100, description: 'IANA zone or ±HH:MM cutting days (UTC)' })),
  tools: Type.Optional(StringEnum(['none', 'summary', 'detail'])),
})

type Info = Static<typeof StatsInfo>
type Totals = Static<typeof ToolTotals>
type Usage = Static<typeof ToolUsage>

const zeroTokens = (): StatsTokens => ({ input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } })

function addTokens(into: StatsTokens, more: StatsTokens): void {
  into.input += more.input
  into.output += more.output
  into.reasoning += more.reasoning
  into.cache.read += more.cache.read
  into.cache.write += more.cache.write
}

function countCall(into: Totals, status: string, n = 1): void {
  into.calls += n
  if (status === 'completed') into.succeeded += n
  else if (status === 'error') into.failed += n
  else into.unfinished += n
}

const zeroTotals = (): Totals => ({ calls: 0, succeeded: 0, failed: 0, unfinished: 0 })

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Per tool, most called first (ties in the order first called), with the median run time. */
function toolUsage(calls: ToolCallRow[]): { totals: Totals; usage: Usage[] } {
  const totals = zeroTotals()
  const byName = new Map<string, { usage: Usage; durations: number[] }>()
  for (const call of calls) {
    countCall(totals, call.status)
    const name = String(call.name ?? '')
    let tool = byName.get(name)
    if (!tool) byName.set(name, (tool = { usage: { name, ...zeroTotals() }, durations: [] }))
    countCall(tool.usage, call.status)
    if (typeof call.duration === 'number' && call.duration >= 0) tool.durations.push(call.duration)
  }
  const usage = [...byName.values()].map(({ usage, durations }) =>
    durations.length ? { ...usage, durationP50: median(durations) } : usage,
  )
  return { totals, usage: usage.sort((a, b) => b.calls - a.calls) }
}

function tools(queries: SessionStatsQueries, range: StatsRange, mode: 'none' | 'summary' | 'detail'): Info['tools'] {
  if (mode === 'none') return { mode }
  if (mode === 'detail') return { mode, ...toolUsage(queries.toolCalls(range)) }
  const totals = zeroTotals()
  for (const [status, n] of queries.toolTotals(range)) countCall(totals, status, n)
  return { mode, totals }
}

/** Steps, tokens and cost in all; per model (most steps first); steps per day in `zone`. */
function stepTotals(groups: StepGroup[], zone: Zone) {
  const tokens = zeroTokens()
  let steps = 0
  let cost = 0
  const models = new Map<string, Info['models'][number]>()
  const days = new Map<string, number>()
  for (const group of groups) {
    steps += group.steps
    cost += group.cost
    addTokens(tokens, group.tokens)
    const key = JSON.stringify([group.providerID, group.modelID])
    let model = models.get(key)
    if (!model) {
      const ref = { id: group.modelID, providerID: group.providerID }
      models.set(key, (model = { model: ref, steps: 0, tokens: zeroTokens(), cost: 0 }))
    }
    model.steps += group.steps
    model.cost += group.cost
    addTokens(model.tokens, group.tokens)
    const day = dayOf(group.slot, zone)
    days.set(day, (days.get(day) ?? 0) + group.steps)
  }
  const activity = [...days].map(([date, count]) => ({ date, steps: count }))
  activity.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0))
  const byUse = [...models.values()].sort((a, b) => b.steps - a.steps || b.cost - a.cost)
  return { steps, tokens, cost, activity, models: byUse }
}

/** The whole answer; the range defaults to the oldest message before `to` (default now) through `to`. */
export function sessionStats(queries: SessionStatsQueries, query: Static<typeof StatsQuery>): Info {
  const zone = statsZone(query.timezone)
  const project = query.project ?? null
  const to = statsTime(query.to, 'to', zone) ?? Date.now()
  const start = statsTime(query.from, 'from', zone)
  if (start !== undefined && start >= to)
    throw new InvalidRequestError('Stats range must end after it starts', { kind: 'Query', field: 'to' })
  const from = start ?? queries.earliest(to, project) ?? to
  const range: StatsRange = { from, to, project }
  const sessions = queries.sessions(range)
  const steps = stepTotals(queries.stepGroups(range), zone)
  const days = steps.activity.map((day) => day.date)
  return {
    range: { from, to },
    sessions: sessions.roots,
    subagents: sessions.children,
    prompts: queries.prompts(range),
    steps: steps.steps,
    tokens: steps.tokens,
    cost: steps.cost,
    tools: tools(queries, range, query.tools ?? 'summary'),
    activeDays: days.length,
    streak: longestStreak(days),
    activity: steps.activity,
    models: steps.models,
  }
}

export function registerSessionStatsRoute(app: PluginApp, deps: SessionV2Deps): void {
  const queries = new SessionStatsQueries(deps.kernel.storage.db)
  app.get(
    '/api/experimental/session/stats',
    {
      config,
      schema: {
        operationId: 'experimental.session.stats',
        tags,
        summary: 'Get session statistics',
        description:
          'Sessions (roots and subagents), prompts, model steps, tokens, cost, tool calls and steps per day, over `[from, to)` (default: the oldest message through now) of every project or `project`; days cut in `timezone` (default UTC); `tools` = `none`, `summary` (default) or `detail` (per tool, with the median run time in ms).',
        querystring: StatsQuery,
        response: { 200: Type.Object({ data: StatsInfo }, Closed), ...v2Errors() },
      },
    },
    async (request) => ({ data: sessionStats(queries, request.query) }),
  )
}
