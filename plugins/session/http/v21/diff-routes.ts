// OpenCode 2.1's `GET /api/session/:id/diff`: what a range of turns changed, from the step snapshots
// the loop takes (the snapshot plugin), as unified patches with as much context as asked.
import { Type } from 'typebox'
import { InvalidRequestError, ref, v2Errors, type PluginApp } from '../../../../sdk/index.js'
import { MessageNotFoundV2 } from '../../errors.js'
import type { MessageWithParts } from '../../schemas.js'
import { loadDiff } from '../../store/patched-diff.js'
import { sessionInstance } from '../../store/locate.js'
import { routeTags as tags, routeConfig as config, SessionParams } from '../v2/route-defaults.js'
import type { SessionV2Deps } from '../v2/routes.js'
import { MessageNotFoundErrorBody, SessionNotFoundErrorBody } from '../v2/schemas.js'

const MessageID = Type.String({ pattern: '^msg_[0-9A-Za-z]+$', maxLength: 100 })
const DiffQuery = Type.Object({
  from: Type.Optional(MessageID),
  to: Type.Optional(MessageID),
  context: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
})
const FileDiff = Type.Object(
  {
    file: Type.String(),
    patch: Type.String(),
    additions: Type.Integer({ minimum: 0 }),
    deletions: Type.Integer({ minimum: 0 }),
    status: Type.Union([Type.Literal('added'), Type.Literal('deleted'), Type.Literal('modified')]),
  },
  { additionalProperties: false },
)
/** "Omit for full-file patches": more context lines than any file we diff has. */
const WHOLE_FILE = 1_000_000_000

/** The user message `id` of the session, or a 400 naming `field` when it is not a user message. */
function userIndex(messages: MessageWithParts[], sessionID: string, id: string, field: string): number {
  const index = messages.findIndex((message) => message.info.id === id)
  if (index < 0) throw new MessageNotFoundV2(sessionID, id)
  if (messages[index]!.info.role !== 'user')
    throw new InvalidRequestError(`Message ${id} is not a user message`, { kind: 'Query', field })
  return index
}

/** The messages of the turns `from` through `to` (each a user message and what followed it). */
function turns(messages: MessageWithParts[], sessionID: string, from?: string, to?: string): MessageWithParts[] {
  const users = messages.flatMap((message, index) => (message.info.role === 'user' ? [index] : []))
  const start = from ? userIndex(messages, sessionID, from, 'from') : users.at(-1)
  if (start === undefined) return []
  const last = to ? userIndex(messages, sessionID, to, 'to') : start
  if (last < start) throw new InvalidRequestError(`Message ${to} comes before ${from}`, { kind: 'Query', field: 'to' })
  const next = users.find((index) => index > last)
  return messages.slice(start, next)
}

export function registerSessionDiffRoute(app: PluginApp, deps: SessionV2Deps): void {
  app.get(
    '/api/session/:sessionID/diff',
    {
      config,
      schema: {
        operationId: 'session.diff',
        tags,
        summary: 'What turns changed',
        description:
          'Per file, what the turn of user message `from` (default: the newest) through the turn of `to` changed; `context` unchanged lines around each hunk (omitted: whole files). Empty when the snapshot plugin does not run.',
        params: SessionParams,
        querystring: DiffQuery,
        response: {
          200: Type.Object({ data: Type.Array(FileDiff) }, { additionalProperties: false }),
          ...v2Errors({ 404: Type.Union([ref(SessionNotFoundErrorBody), ref(MessageNotFoundErrorBody)]) }),
        },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const { instance } = await sessionInstance(deps.kernel, deps.sessions.store, sessionID)
      const { from, to, context } = request.query
      const scope = turns(deps.sessions.store.allMessages(sessionID), sessionID, from, to)
      let first: string | undefined
      let last: string | undefined
      for (const part of scope.flatMap((message) => message.parts)) {
        if (part.type === 'step-start' && part.snapshot) first ??= part.snapshot
        if (part.type === 'step-finish' && part.snapshot) last = part.snapshot
      }
      if (!first || !app.hasDecorator('snapshots')) return { data: [] }
      const diffs = await app.snapshots.diff(instance, first, last)
      const { createTwoFilesPatch } = await loadDiff()
      const lines = context === undefined ? WHOLE_FILE : Number(context)
      const data = diffs.map((diff) => ({
        file: diff.file,
        patch: createTwoFilesPatch(diff.file, diff.file, diff.before, diff.after, undefined, undefined, {
          context: lines,
        }),
        additions: diff.additions,
        deletions: diff.deletions,
        status: diff.status ?? ('modified' as const),
      }))
      return { data }
    },
  )
}
