// OpenCode 2.1's instruction entries (`/api/experimental/session/:id/instructions/entries`): JSON
// values a client attaches to a session, added to the system prompt of its next steps as
// `<context key="k">value</context>` blocks. Stored in a table of their own, so they outlive restarts.
import { Type } from 'typebox'
import { TaggedError, ref, v2Errors, type PluginApp, type SqliteDatabase } from '../../../../sdk/index.js'
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

class InstructionEntries {
  private readonly statements

  constructor(db: SqliteDatabase) {
    this.statements = {
      list: db.prepare<[string], { key: string; value: string }>(
        'SELECT key, value FROM session_instruction_entry WHERE session_id = ? ORDER BY key',
      ),
      put: db.prepare<[string, string, string]>(
        'INSERT INTO session_instruction_entry (session_id, key, value) VALUES (?, ?, ?) ON CONFLICT (session_id, key) DO UPDATE SET value = excluded.value',
      ),
      remove: db.prepare<[string, string]>('DELETE FROM session_instruction_entry WHERE session_id = ? AND key = ?'),
    }
  }

  list(sessionID: string): { key: string; value: unknown }[] {
    return this.statements.list.all(sessionID).map(({ key, value }) => ({ key, value: JSON.parse(value) as unknown }))
  }

  put(sessionID: string, key: string, json: string): void {
    this.statements.put.run(sessionID, key, json)
  }

  remove(sessionID: string, key: string): void {
    this.statements.remove.run(sessionID, key)
  }

  /** The system prompt block of the session's entries; undefined when it has none. */
  block(sessionID: string): string | undefined {
    const entries = this.list(sessionID)
    if (!entries.length) return undefined
    return entries
      .map(({ key, value }) => {
        const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2)
        return `<context key="${key}">${text}</context>`
      })
      .join('\n')
  }
}

/** The entries' table (migrated here) and the hook that adds them to each step's system prompt. */
function instructionEntries(kernel: SessionV2Deps['kernel']): InstructionEntries {
  kernel.storage.migrate('session-instructions', [
    {
      id: '0001-session-instruction-entry',
      up: (db) =>
        db.exec(`
          CREATE TABLE session_instruction_entry (
            session_id TEXT NOT NULL REFERENCES session (id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (session_id, key)
          );
        `),
    },
  ])
  const entries = new InstructionEntries(kernel.storage.db)
  // Each step's system prompt goes through this hook; the session's entries join it there.
  kernel.extensions.provide(PluginHooks, 'session-instructions', {
    trigger: async (_instance, name, input, output) => {
      if (name !== 'experimental.chat.system.transform' || typeof input.sessionID !== 'string') return
      const block = entries.block(input.sessionID)
      const system = (output as { system?: unknown }).system
      if (block && Array.isArray(system)) system.push(block)
    },
    handles: async (_instance, name) => name === 'experimental.chat.system.transform',
  })
  return entries
}

export function registerInstructionRoutes(app: PluginApp, deps: SessionV2Deps): void {
  const entries = instructionEntries(deps.kernel)
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
