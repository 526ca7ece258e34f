// OpenCode 2.1's `POST /api/experimental/session/import`: a transcript exported by 2.1
// (`…/export`) or by 1.x (`opencode export`: `{info, messages:[{info, parts}]}`) becomes a stored
// session, ids kept, in one transaction. Where 2.1.2 answers an empty 500 (a message id another
// session holds) this answers 409 and stores nothing.
import { stat } from 'node:fs/promises'
import { isAbsolute } from 'node:path'
import { Type, type Static } from 'typebox'
import {
  ConflictErrorBody,
  DataEnvelope,
  InvalidRequestError,
  TaggedError,
  ascendingId,
  ref,
  v2Errors,
  type Instance,
  type PluginApp,
} from '../../../../sdk/index.js'
import { SessionCreated } from '../../events.js'
import type { MessageWithParts, SessionInfo } from '../../schemas.js'
import type { SessionEntry } from '../../store/entries.js'
import { storedSession } from '../../store/locate.js'
import { instanceAt } from '../v2/session-routes.js'
import { routeTags as tags } from '../v2/route-defaults.js'
import type { SessionV2Deps } from '../v2/routes.js'
import { SessionNotFoundErrorBody } from '../v2/schemas.js'
import { storedTranscript, type Item21 } from './import.js'
import { ITEM_SCHEMAS, Info21, V1Info, V1Message, check } from './import-schemas.js'
import { Session21Info } from './schemas.js'
import { ruleOf, sessionInfo21 } from './views.js'

/** A transcript's size: long sessions with tool output run to tens of megabytes. */
const BODY_LIMIT = 256 * 1024 * 1024
const MAX_MESSAGES = 100_000
const SESSION_ID = /^ses_[0-9A-Za-z]+$/

const ImportBody = Type.Object(
  {
    info: Type.Object({}, { additionalProperties: true }),
    messages: Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: MAX_MESSAGES }),
    location: Type.Optional(
      Type.Union([Type.Object({ directory: Type.String({ minLength: 1, maxLength: 4096 }) }), Type.Null()]),
    ),
  },
  { additionalProperties: false },
)
type Body = Static<typeof ImportBody>

class ConflictError extends TaggedError {
  constructor(message: string, resource: string) {
    super('ConflictError', 409, message, { resource })
  }
}

/** Whether `directory` is an existing absolute directory (an export's may not be, here). */
async function existing(directory: unknown): Promise<string | undefined> {
  if (typeof directory !== 'string' || !isAbsolute(directory) || directory.includes('\0')) return undefined
  return (await stat(directory).catch(() => undefined))?.isDirectory() ? directory : undefined
}

/** The body's `location`; else the export's own directory when it exists here; else the request's. */
async function target(deps: SessionV2Deps, body: Body, fallback: Instance): Promise<Instance> {
  if (body.location) return instanceAt(deps.kernel, body.location.directory)
  const info = body.info as { directory?: unknown; location?: { directory?: unknown } }
  const directory = info.location?.directory ?? info.directory
  const found = await existing(directory)
  return found ? deps.kernel.instances.get(found) : fallback
}

interface Parsed {
  info: SessionInfo
  messages: MessageWithParts[]
  entries: SessionEntry[]
}

/** A 1.x export: its session and messages as they were stored, at `instance`. */
function parseV1(deps: SessionV2Deps, body: Body, instance: Instance): Parsed {
  check(V1Info, body.info, 'info', true)
  const source = body.info as SessionInfo
  body.messages.forEach((message, index) => check(V1Message, message, `messages[${index}]`, true))
  const info = deps.sessions.build(instance, {
    id: source.id,
    ...(source.parentID ? { parentID: source.parentID } : {}),
    title: source.title,
    ...(source.agent ? { agent: source.agent } : {}),
    ...(source.model ? { model: source.model } : {}),
    ...(source.metadata ? { metadata: source.metadata } : {}),
    ...(source.permission ? { permission: source.permission } : {}),
  })
  Object.assign(info, { slug: source.slug, cost: source.cost, tokens: source.tokens })
  info.time = { created: source.time.created, updated: source.time.updated }
  const messages = (body.messages as unknown as MessageWithParts[]).map(({ info: message, parts }) => ({
    info: { ...message, sessionID: info.id },
    // New part ids (in order): an upsert under another session's part id would take that part.
    parts: parts.map((part) => ({ ...part, id: ascendingId('prt'), sessionID: info.id, messageID: message.id })),
  }))
  return { info, messages, entries: [] }
}

/** A 2.1 export: its items as stored messages and entries, at `instance`. */
function parse21(deps: SessionV2Deps, body: Body, instance: Instance): Parsed {
  check(Info21, body.info, 'info')
  const source = body.info as Static<typeof Info21>
  const items = body.messages as unknown as Item21[]
  items.forEach((item, index) => {
    const schema = ITEM_SCHEMAS[String(item.type)]
    if (!schema)
      throw new InvalidRequestError(`Unknown message type: ${String(item.type).slice(0, 100)}`, {
        kind: 'Payload',
        field: `messages[${index}]`,
      })
    check(schema, item, `messages[${index}]`)
  })
  const info = deps.sessions.build(instance, {
    id: source.id,
    ...(source.parentID ? { parentID: source.parentID } : {}),
    ...(source.title !== undefined ? { title: source.title } : {}),
    ...(source.agent ? { agent: source.agent } : {}),
    ...(source.model ? { model: { id: source.model.id, providerID: source.model.providerID } } : {}),
    ...(source.metadata ? { metadata: source.metadata } : {}),
    ...(source.permissions ? { permission: source.permissions.map(ruleOf) } : {}),
  })
  Object.assign(info, { cost: source.cost, tokens: source.tokens })
  info.time = { created: source.time.created, updated: source.time.updated }
  const first = items.find((item) => item.type === 'assistant')
  const { messages, entries } = storedTranscript(items, {
    sessionID: info.id,
    directory: instance.directory,
    worktree: instance.worktree,
    agent: source.agent ?? (first?.agent as string | undefined) ?? 'build',
    model: source.model ??
      (first?.model as { id: string; providerID: string } | undefined) ?? {
        id: 'unknown',
        providerID: 'unknown',
      },
  })
  return { info, messages, entries }
}

/** 409 for a session or message id already stored (or given twice); nothing is written before. */
function checkIds(deps: SessionV2Deps, { info, messages, entries }: Parsed): void {
  if (deps.sessions.store.getSession(info.id)) throw new ConflictError(`Session already exists: ${info.id}`, info.id)
  const seen = new Set<string>()
  const ids = [...messages.map((message) => message.info.id), ...entries.map((entry) => entry.id)]
  for (const id of ids) {
    if (seen.has(id)) throw new ConflictError(`Message ID appears twice in the transcript: ${id}`, id)
    seen.add(id)
    if (deps.sessions.store.hasMessageID(id) || deps.entries.taken(id))
      throw new ConflictError(`Message already exists: ${id}`, id)
  }
}

export function registerSessionImportRoute(app: PluginApp, deps: SessionV2Deps): void {
  app.post(
    '/api/experimental/session/import',
    {
      config: { v2: true, location: true },
      bodyLimit: BODY_LIMIT,
      schema: {
        operationId: 'experimental.session.import',
        tags,
        summary: 'Import a session',
        description: [
          "A transcript from `GET …/export` (2.1's typed messages) or from OpenCode 1.x's `opencode export` (`{info, messages:[{info, parts}]}`), stored in one transaction with its session and message ids.",
          "It goes to `location.directory`, else to the export's own directory when that exists here, else to the request's location. A `parentID` must name a stored session. A session or message id already stored is 409 and nothing is written.",
        ].join(' '),
        body: ImportBody,
        response: {
          200: DataEnvelope(ref(Session21Info)),
          ...v2Errors({ 404: ref(SessionNotFoundErrorBody), 409: ref(ConflictErrorBody) }),
        },
      },
    },
    async (request) => {
      const body = request.body
      const id = (body.info as { id?: unknown }).id
      if (typeof id !== 'string' || !SESSION_ID.test(id) || id.length > 100)
        throw new InvalidRequestError('Expected a string starting with "ses_"', { kind: 'Payload', field: 'info.id' })
      const parentID = (body.info as { parentID?: unknown }).parentID
      const parent = typeof parentID === 'string' ? storedSession(deps.sessions.store, parentID) : undefined
      const instance = parent
        ? await deps.kernel.instances.get(parent.directory)
        : await target(deps, body, request.instance)
      const v1 = 'directory' in body.info || body.messages.some((message) => 'parts' in message)
      const parsed = v1 ? parseV1(deps, body, instance) : parse21(deps, body, instance)
      checkIds(deps, parsed)
      deps.sessions.store.importSession(parsed.info, parsed.messages, parsed.entries)
      deps.kernel.publish(instance, SessionCreated, { sessionID: parsed.info.id, info: parsed.info })
      const idle = [...parsed.entries].reverse().find((entry) => entry.type === 'idle')
      return { data: sessionInfo21(parsed.info, instance.worktree, idle as Parameters<typeof sessionInfo21>[2]) }
    },
  )
}
