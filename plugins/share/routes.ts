import { Type } from 'typebox'
import { ForbiddenError, InstanceQuery, NotFoundError, type PluginApp } from '../../sdk/index.js'
import type { MessageWithParts, SessionInfo } from '../session/schemas.js'
import { renderSharePage } from './page.js'
import { origin, shareMode, shareSession, type ShareDeps } from './service.js'

/** Messages a share shows at most (the newest). */
const PAGE_MESSAGES = 1000

const SessionParams = Type.Object({ sessionID: Type.String({ pattern: '^ses', maxLength: 100 }) })
const ShareParams = Type.Object({ shareID: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) })
const ShareQuery = Type.Object({ format: Type.Optional(Type.Union([Type.Literal('html'), Type.Literal('json')])) })

// The session plugin's shared schemas, by id (plugins never import each other's code).
const SessionRef = Type.Unsafe<SessionInfo>({ $ref: 'Session.Info' })
const MessageRef = Type.Unsafe<MessageWithParts>({ $ref: 'Message.WithParts' })

export function registerShareRoutes(app: PluginApp, deps: ShareDeps): void {
  registerSessionShareRoutes(app, deps)
  registerSharePageRoute(app, deps)
}

/** Sharing a session and withdrawing its share. */
function registerSessionShareRoutes(app: PluginApp, deps: ShareDeps): void {
  app.post(
    '/session/:sessionID/share',
    {
      schema: {
        operationId: 'session.share',
        tags: ['session'],
        summary: 'Share a session',
        description:
          'Gives the session a share id; `share.url` points at `/share/:shareID` on this server. Sharing again keeps the id. 403 with config `share: "disabled"`.',
        params: SessionParams,
        querystring: Type.Object(InstanceQuery),
        response: { 200: SessionRef },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      app.sessions.get(request.instance, sessionID)
      if (shareMode(deps.kernel, request.instance) === 'disabled')
        throw new ForbiddenError('Sharing is disabled by the config (share: "disabled")')
      return shareSession(deps, request.instance, sessionID, origin(app, request))
    },
  )

  app.delete(
    '/session/:sessionID/share',
    {
      schema: {
        operationId: 'session.unshare',
        tags: ['session'],
        summary: 'Stop sharing a session',
        description: 'Removes the share id (its page answers 404 from then on) and `share` from the session.',
        params: SessionParams,
        querystring: Type.Object(InstanceQuery),
        response: { 200: SessionRef },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      app.sessions.get(request.instance, sessionID)
      deps.store.remove(sessionID)
      return app.sessions.update(request.instance, sessionID, (info) => {
        delete info.share
      })
    },
  )
}

/** The shared session itself: an HTML page, or JSON. */
function registerSharePageRoute(app: PluginApp, { store }: ShareDeps): void {
  app.get(
    '/share/:shareID',
    {
      config: { instance: false },
      schema: {
        operationId: 'share.get',
        tags: ['share'],
        summary: 'A shared session, read-only',
        description: `An HTML page of the conversation (no scripts); \`?format=json\` gives \`{info, messages}\`. At most the newest ${PAGE_MESSAGES} messages. Unknown or withdrawn share: 404.`,
        params: ShareParams,
        querystring: ShareQuery,
        response: {
          200: Type.Object(
            { info: SessionRef, messages: Type.Array(MessageRef) },
            { description: 'With `format=json`; otherwise text/html' },
          ),
        },
      },
    },
    async (request, reply) => {
      const { shareID } = request.params
      const sessionID = store.sessionOf(shareID)
      const info = sessionID ? app.sessions.find(sessionID) : undefined
      if (!info) throw new NotFoundError(`Share not found: ${shareID}`)
      const messages = app.sessions.messages(info.id, PAGE_MESSAGES + 1)
      const omitted = messages.length > PAGE_MESSAGES
      const shown = omitted ? messages.slice(1) : messages
      if (request.query.format === 'json') return { info, messages: shown }
      return (
        reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
          .header('x-content-type-options', 'nosniff')
          // The HTML page, which the JSON schema of the 200 answer does not describe.
          .send(renderSharePage(info, shown, omitted) as never)
      )
    },
  )
}
