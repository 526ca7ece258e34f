// The SQL behind OpenCode 2.1's usage stats (`GET /api/experimental/session/stats`): every query
// reads only the messages created in the range (index `message_created`), their sessions by key
// and their parts by message, and sums in SQLite; nothing else of the database is read.
import type { SqliteDatabase } from '../../../sdk/index.js'

/** A stats range: `[from, to)` in epoch ms, of one project's sessions or (null) every project's. */
export interface StatsRange {
  from: number
  to: number
  project: string | null
}

export interface StatsTokens {
  input: number
  output: number
  reasoning: number
  cache: { read: number; write: number }
}

/** The steps of one model in one 15-minute slot (all zone offsets are whole quarter hours). */
export interface StepGroup {
  providerID: string
  modelID: string
  /** The slot's start, epoch ms. */
  slot: number
  steps: number
  tokens: StatsTokens
  cost: number
}

/** One tool call of a step in the range; `duration` (ms) once it ran to an end. */
export interface ToolCallRow {
  name: string
  status: 'pending' | 'running' | 'completed' | 'error'
  duration: number | null
}

export const SLOT_MS = 15 * 60 * 1000

const CREATED = "json_extract(m.data, '$.time.created')"
/** The messages of the range, with their session (`s`); CROSS JOIN keeps the range's index first. */
const IN_RANGE = `message m CROSS JOIN session s ON s.id = m.session_id
  WHERE ${CREATED} >= @from AND ${CREATED} < @to AND (@project IS NULL OR s.project_id = @project)`
/**
 * Steps: assistant messages that called the model (a `step-start` part), which leaves out the
 * user's own tool runs (`!shell`, command subtasks) and compaction summaries.
 */
const STEPS = `SELECT m.id AS id, ${CREATED} AS created, m.data AS data FROM ${IN_RANGE}
  AND json_extract(m.data, '$.role') = 'assistant' AND coalesce(json_extract(m.data, '$.summary'), 0) = 0
  AND EXISTS (SELECT 1 FROM part p WHERE p.message_id = m.id AND json_extract(p.data, '$.type') = 'step-start')`
/** A prompt: a root session's user message with text the user wrote (not synthetic, not a compaction request). */
const PROMPTS = `SELECT count(*) AS n FROM ${IN_RANGE}
  AND s.parent_id IS NULL AND json_extract(m.data, '$.role') = 'user'
  AND EXISTS (SELECT 1 FROM part p WHERE p.message_id = m.id AND json_extract(p.data, '$.type') = 'text'
    AND coalesce(json_extract(p.data, '$.synthetic'), 0) = 0
    AND coalesce(json_extract(p.data, '$.metadata.synthetic'), 0) = 0)`
const SLOT = `(created - ((created % ${SLOT_MS}) + ${SLOT_MS}) % ${SLOT_MS})`
const STEP_GROUPS = `WITH step AS (${STEPS})
  SELECT json_extract(data, '$.providerID') AS providerID, json_extract(data, '$.modelID') AS modelID,
    ${SLOT} AS slot, count(*) AS steps,
    total(json_extract(data, '$.tokens.input')) AS input, total(json_extract(data, '$.tokens.output')) AS output,
    total(json_extract(data, '$.tokens.reasoning')) AS reasoning,
    total(json_extract(data, '$.tokens.cache.read')) AS cacheRead,
    total(json_extract(data, '$.tokens.cache.write')) AS cacheWrite, total(json_extract(data, '$.cost')) AS cost
  FROM step GROUP BY providerID, modelID, slot ORDER BY slot`
const TOOL_PARTS = `WITH step AS (${STEPS})
  SELECT json_extract(p.data, '$.tool') AS name, json_extract(p.data, '$.state.status') AS status,
    json_extract(p.data, '$.state.time.end') - json_extract(p.data, '$.state.time.start') AS duration
  FROM step JOIN part p ON p.message_id = step.id WHERE json_extract(p.data, '$.type') = 'tool'`

type Params = Record<string, unknown>
type GroupRow = Omit<StepGroup, 'tokens'> & {
  input: number
  output: number
  reasoning: number
  cacheRead: number
  cacheWrite: number
}

/** The stats queries, prepared once per store. */
export class SessionStatsQueries {
  private readonly statements

  constructor(db: SqliteDatabase) {
    const prepare = <Row>(sql: string) => db.prepare<Params, Row>(sql)
    this.statements = {
      earliest: prepare<{ created: number }>(
        `SELECT ${CREATED} AS created FROM message m CROSS JOIN session s ON s.id = m.session_id
          WHERE ${CREATED} < @to AND (@project IS NULL OR s.project_id = @project) ORDER BY ${CREATED} LIMIT 1`,
      ),
      sessions: prepare<{ child: number; n: number }>(
        `SELECT s.parent_id IS NOT NULL AS child, count(DISTINCT m.session_id) AS n FROM ${IN_RANGE} GROUP BY child`,
      ),
      prompts: prepare<{ n: number }>(PROMPTS),
      stepGroups: prepare<GroupRow>(STEP_GROUPS),
      toolTotals: prepare<{ status: string; n: number }>(
        `SELECT status, count(*) AS n FROM (${TOOL_PARTS}) GROUP BY status`,
      ),
      toolCalls: prepare<ToolCallRow>(`${TOOL_PARTS} ORDER BY step.created, p.id`),
    }
  }

  /** When the oldest message before `to` was created (of `project`'s sessions if given). */
  earliest(to: number, project: string | null): number | undefined {
    return this.statements.earliest.get({ to, project })?.created
  }

  /** Root and child sessions with a message in the range. */
  sessions(range: StatsRange): { roots: number; children: number } {
    const rows = this.statements.sessions.all({ ...range })
    const count = (child: number) => rows.find((row) => row.child === child)?.n ?? 0
    return { roots: count(0), children: count(1) }
  }

  prompts(range: StatsRange): number {
    return this.statements.prompts.get({ ...range })?.n ?? 0
  }

  /** The range's steps by model and 15-minute slot, oldest slot first. */
  stepGroups(range: StatsRange): StepGroup[] {
    return this.statements.stepGroups.all({ ...range }).map((row) => ({
      providerID: String(row.providerID ?? ''),
      modelID: String(row.modelID ?? ''),
      slot: row.slot,
      steps: row.steps,
      tokens: {
        input: row.input,
        output: row.output,
        reasoning: row.reasoning,
        cache: { read: row.cacheRead, write: row.cacheWrite },
      },
      cost: row.cost,
    }))
  }

  /** How many tool calls of the range's steps are in each state. */
  toolTotals(range: StatsRange): Map<string, number> {
    return new Map(this.statements.toolTotals.all({ ...range }).map((row) => [row.status, row.n]))
  }

  /** Every tool call of the range's steps, in the order they were made. */
  toolCalls(range: StatsRange): ToolCallRow[] {
    return this.statements.toolCalls.all({ ...range })
  }
}
