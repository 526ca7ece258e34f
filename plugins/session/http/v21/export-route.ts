// OpenCode 2.1's `GET /api/experimental/session/:id/export[?sanitize=true]`: the session and its
// whole transcript as 2.1 shows them (`GET /api/session/:id` and every page of `…/message`).
import { Type } from 'typebox'
import { StringEnum, ref, type PluginApp } from '../../../../sdk/index.js'
import type { MessageWithParts } from '../../schemas.js'
import { sessionInstance } from '../../store/locate.js'
import { sessionView } from '../v2/session-routes.js'
import { routeTags as tags, routeConfig as config, SessionParams, sessionNotFound } from '../v2/route-defaults.js'
import type { SessionV2Deps } from '../v2/routes.js'
import { Session21Info, Session21Message } from './schemas.js'
import { message21, type Message21 } from './views.js'

/** Every entry of a session fits: entries are a few per run. */
const ALL = 1_000_000

/** The messages and entries of a session as 2.1's transcript, oldest first. */
function transcript(deps: SessionV2Deps, sessionID: string): Message21[] {
  const messages = deps.sessions.store.allMessages(sessionID)
  const byID = new Map(messages.map((message) => [message.info.id, message]))
  // A summary's reason is on the user message that asked for it.
  const reasonOf = (parentID: string) => {
    const part = byID.get(parentID)?.parts.find((candidate) => candidate.type === 'compaction')
    return part?.type === 'compaction' && part.auto ? ('auto' as const) : ('manual' as const)
  }
  const items: { id: string; view: () => Message21 | undefined }[] = [
    ...messages.map((message: MessageWithParts) => ({ id: message.info.id, view: () => message21(message, reasonOf) })),
    ...deps.entries.from(sessionID, undefined, true, ALL).map((entry) => ({ id: entry.id, view: () => entry })),
  ]
  items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return items.flatMap((item) => item.view() ?? [])
}

export function registerSessionExportRoute(app: PluginApp, deps: SessionV2Deps): void {
  const view = sessionView(deps.kernel, deps.entries)
  app.get(
    '/api/experimental/session/:sessionID/export',
    {
      config,
      schema: {
        operationId: 'experimental.session.export',
        tags,
        summary: 'Export a session',
        description:
          'The session and its whole transcript, oldest first. `sanitize=true` replaces the title with `[redacted:session-title:<id>]` and the directory with `[redacted:session-directory:<id>]`.',
        params: SessionParams,
        querystring: Type.Object({ sanitize: Type.Optional(StringEnum(['true', 'false'])) }),
        response: {
          200: Type.Object(
            {
              data: Type.Object(
                { info: ref(Session21Info), messages: Type.Array(ref(Session21Message)) },
                { additionalProperties: false },
              ),
            },
            { additionalProperties: false },
          ),
          ...sessionNotFound,
        },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const { info } = await sessionInstance(deps.kernel, deps.sessions.store, sessionID)
      const shown = await view(info)
      const sanitized =
        request.query.sanitize === 'true'
          ? {
              ...shown,
              title: `[redacted:session-title:${sessionID}]`,
              location: { directory: `[redacted:session-directory:${sessionID}]` },
            }
          : shown
      return { data: { info: sanitized, messages: transcript(deps, sessionID) } }
    },
  )
}
