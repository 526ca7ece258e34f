// OpenCode 2.1's instruction entries (`/api/experimental/session/:id/instructions/entries`): JSON
// values a client attaches to a session, added to the system prompt of its next steps as
// `<context key="k">value</context>` blocks. Stored in a table of their own, so they outlive restarts.
import { Type } from 'typebox'
import { createHash } from 'node:crypto'
import {
  TaggedError,
  ascendingId,
  defineEvent,
  ref,
  v2Errors,
  type PluginApp,
  type SqliteDatabase,
} from '../../../../sdk/index.js'
import { PluginHooks } from '../../../../sdk/hooks.js'
import { loopOf } from '../v2/prompt-routes.js'
import { routeTags as tags, routeConfig as config, SessionParams, sessionNotFound } from '../v2/route-defaults.js'
import type { SessionV2Deps } from '../v2/routes.js'
import { SessionNotFoundErrorBody } from '../v2/schemas.js'

/** The largest value (its JSON, in bytes), as 2.1. */
const MAX_VALUE_BYTES = 262_144

const EntryParams = Type.Object({
  sessionID: SessionParams.properties.sessionID,
  key: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$', maxLength: 200 }),
})
const TooLargeBody = Type.Object(
  {
    _tag: Type.Literal('InstructionEntryValueTooLargeError'),
    actualBytes: Type.Integer(),
    maxBytes: Type.Integer(),
    message: Type.String(),
  },
  { additionalProperties: false },
)

const EntryList = Type.Object(
  { data: Type.Array(Type.Object({ key: Type.String(), value: Type.Unknown() }, { additionalProperties: false })) },
  { additionalProperties: false },
)

/** The value's JSON; the tagged 413 when it is larger than 2.1 allows. */
function checkedJson(value: unknown): string {
  const json = JSON.stringify(value ?? null)
  const actualBytes = Buffer.byteLength(json)
  if (actualBytes > MAX_VALUE_BYTES)
    throw new TaggedError(
      'InstructionEntryValueTooLargeError',
      413,
      `Instruction entry value is ${actualBytes} bytes; at most ${MAX_VALUE_BYTES}`,
      { actualBytes, maxBytes: MAX_VALUE_BYTES },
    )
  return json
}

/** The value's text in a `<context>` block: a string as it is, other JSON pretty-printed. */
const contextBlock = (key: string, value: unknown) =>
  `<context key="${key}">${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}</context>`

export const InstructionsUpdated = defineEvent('session.instructions.updated', {
  timestamp: Type.Number(),
  sessionID: Type.String(),
  delta: Type.Record(Type.String(), Type.String()),
  text: Type.String(),
})

interface EntryRow {
  key: string
  value: string | null
  announced: string | null
}

/**
 * The entries of each session. A removed entry stays (value NULL) until a step has announced its
 * removal; `announced` is the sha256 of the value the last `instructions.updated` told.
 */
class InstructionEntries {
  private readonly statements

  constructor(db: SqliteDatabase) {
    this.statements = {
      rows: db.prepare<[string], EntryRow>(
        'SELECT key, value, announced FROM session_instruction_entry WHERE session_id = ? ORDER BY key',
      ),
      put: db.prepare<[string, string, string]>(
        'INSERT INTO session_instruction_entry (session_id, key, value) VALUES (?, ?, ?) ON CONFLICT (session_id, key) DO UPDATE SET value = excluded.value',
      ),
      remove: db.prepare<[string, string]>(
        'UPDATE session_instruction_entry SET value = NULL WHERE session_id = ? AND key = ?',
      ),
      forget: db.prepare<[string]>('DELETE FROM session_instruction_entry WHERE session_id = ? AND value IS NULL'),
      forgetUnannounced: db.prepare<[string]>(
        'DELETE FROM session_instruction_entry WHERE session_id = ? AND value IS NULL AND announced IS NULL',
      ),
      announce: db.prepare<[string, string, string]>(
        'UPDATE session_instruction_entry SET announced = ? WHERE session_id = ? AND key = ?',
      ),
    }
  }

  list(sessionID: string): { key: string; value: unknown }[] {
    return this.statements.rows
      .all(sessionID)
      .flatMap(({ key, value }) => (value === null ? [] : [{ key, value: JSON.parse(value) as unknown }]))
  }

  put(sessionID: string, key: string, json: string): void {
    this.statements.put.run(sessionID, key, json)
  }

  remove(sessionID: string, key: string): void {
    this.statements.remove.run(sessionID, key)
    this.statements.forgetUnannounced.run(sessionID)
  }

  /** The system prompt block of the session's entries; undefined when it has none. */
  block(sessionID: string): string | undefined {
    const entries = this.list(sessionID)
    return entries.length ? entries.map(({ key, value }) => contextBlock(key, value)).join('\n') : undefined
  }

  /** What changed since the last announcement (`api/<key>`: sha256 or `removed`), now marked announced. */
  takeChanges(sessionID: string): { delta: Record<string, string>; text: string } | undefined {
    const delta: Record<string, string> = {}
    const texts: string[] = []
    for (const row of this.statements.rows.all(sessionID)) {
      const hash = row.value === null ? 'removed' : createHash('sha256').update(row.value).digest('hex')
      if (hash === row.announced) continue
      delta[`api/${row.key}`] = hash
      if (row.value !== null) {
        texts.push(contextBlock(row.key, JSON.parse(row.value)))
        this.statements.announce.run(hash, sessionID, row.key)
      }
    }
    this.statements.forget.run(sessionID)
    return Object.keys(delta).length ? { delta, text: texts.join('\n') } : undefined
  }
}

/** The entries' table (migrated here) and the hook that adds them to each step's system prompt. */
function instructionEntries({ kernel, entries: transcript }: SessionV2Deps): InstructionEntries {
  kernel.storage.migrate('session-instructions', [
    {
      id: '0001-session-instruction-entry',
      up: (db) =>
        db.exec(`
          CREATE TABLE session_instruction_entry (
            session_id TEXT NOT NULL REFERENCES session (id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            -- NULL: removed, its removal not announced yet.
            value TEXT,
            announced TEXT,
            PRIMARY KEY (session_id, key)
          );
        `),
    },
  ])
  const entries = new InstructionEntries(kernel.storage.db)
  // Each step's system prompt goes through this hook; the session's entries join it there, and
  // what changed since the last step is announced (an event and a `system` transcript entry).
  kernel.extensions.provide(PluginHooks, 'session-instructions', {
    trigger: async (instance, name, input, output) => {
      const sessionID = input.sessionID
      if (name !== 'experimental.chat.system.transform' || typeof sessionID !== 'string') return
      const changes = entries.takeChanges(sessionID)
      if (changes) {
        const timestamp = Date.now()
        kernel.publish(instance, InstructionsUpdated, { timestamp, sessionID, ...changes })
        const sources = Object.keys(changes.delta)
        transcript.add(sessionID, {
          id: ascendingId('msg'),
          time: { created: timestamp },
          type: 'system',
          text: changes.text,
          description: `Instructions updated: ${sources.join(', ')}`,
          metadata: { notice: 'instructions', instructionSources: sources },
        })
      }
      const block = entries.block(sessionID)
      const system = (output as { system?: unknown }).system
      if (block && Array.isArray(system)) system.push(block)
    },
    handles: async (_instance, name) => name === 'experimental.chat.system.transform',
  })
  return entries
}

export function registerInstructionRoutes(app: PluginApp, deps: SessionV2Deps): void {
  const entries = instructionEntries(deps)
  const base = '/api/experimental/session/:sessionID/instructions/entries'

  app.get(
    base,
    {
      config,
      schema: {
        tags,
        operationId: 'experimental.session.instructions.entry.list',
        summary: 'List instruction entries',
        description: "The session's instruction entries, by key.",
        params: SessionParams,
        response: {
          200: EntryList,
          ...sessionNotFound,
        },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      await loopOf(deps, sessionID)
      return { data: entries.list(sessionID) }
    },
  )

  app.put(
    `${base}/:key`,
    {
      config,
      schema: {
        tags,
        operationId: 'experimental.session.instructions.entry.put',
        summary: 'Set instruction entry',
        description: `Sets one entry (any JSON value, at most ${MAX_VALUE_BYTES} bytes: else 413); the next step's system prompt carries it as \`<context key="…">\`.`,
        params: EntryParams,
        body: Type.Object({ value: Type.Unknown() }, { additionalProperties: false, required: ['value'] }),
        response: {
          204: Type.Null(),
          ...v2Errors({ 404: ref(SessionNotFoundErrorBody), 413: TooLargeBody }),
        },
      },
    },
    async (request, reply) => {
      const { sessionID, key } = request.params
      await loopOf(deps, sessionID)
      entries.put(sessionID, key, checkedJson(request.body.value))
      return reply.code(204).send(null)
    },
  )

  app.delete(
    `${base}/:key`,
    {
      config,
      schema: {
        tags,
        operationId: 'experimental.session.instructions.entry.remove',
        summary: 'Remove instruction entry',
        description: 'Removes one entry; 204 also when there was none.',
        params: EntryParams,
        response: { 204: Type.Null(), ...sessionNotFound },
      },
    },
    async (request, reply) => {
      const { sessionID, key } = request.params
      await loopOf(deps, sessionID)
      entries.remove(sessionID, key)
      return reply.code(204).send(null)
    },
  )
}
