import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type Static } from 'typebox'
import {
  ForbiddenError,
  InstanceQuery,
  NotFoundError,
  definePlugin,
  type Instance,
  type Kernel,
} from '../../sdk/index.js'
import type { MessageWithParts, SessionInfo } from '../session/schemas.js'
import { renderSharePage } from './page.js'
import { SHARE_MIGRATIONS, ShareStore } from './store.js'

/** Messages a share shows at most (the newest). */
const PAGE_MESSAGES = 1000

const SessionParams = Type.Object({ sessionID: Type.String({ pattern: '^ses', maxLength: 100 }) })
const ShareParams = Type.Object({ shareID: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) })
const ShareQuery = Type.Object({ format: Type.Optional(Type.Union([Type.Literal('html'), Type.Literal('json')])) })

// The session plugin's shared schemas, by id (plugins never import each other's code).
const SessionRef = Type.Unsafe<SessionInfo>({ $ref: 'Session.Info' })
const MessageRef = Type.Unsafe<MessageWithParts>({ $ref: 'Message.WithParts' })

type ShareMode = 'manual' | 'auto' | 'disabled'

function shareMode(kernel: Kernel, instance: Instance): ShareMode {
  const config = kernel.config(instance)
  if (config.share === 'disabled' || config.share === 'auto') return config.share
  return config.autoshare === true ? 'auto' : 'manual'
}

/** Where this server is reached: the request's own origin, else the listening address. */
function origin(app: FastifyInstance, request?: FastifyRequest): string {
  if (request) return `${request.protocol}://${request.host}`
  const address = app.server.address() as AddressInfo | null
  if (!address || typeof address !== 'object') return 'http://localhost'
  const host =
    address.address === '::' || address.address === '0.0.0.0'
      ? 'localhost'
      : address.family === 'IPv6'
        ? `[${address.address}]`
        : address.address
  return `http://${host}:${address.port}`
}

/**
 * Session sharing without an external service: a share id maps to a session, and this server
 * serves it read-only at `/share/:shareID` (HTML, or JSON with `?format=json`).
 */
export default definePlugin({
  name: 'share',
  dependencies: ['session'],
  needs: [
    'paths',
    'bus',
    'storage',
    'instances',
    'extensions',
    'tools',
    'processes',
    'env',
    'internalAuthorization',
    'dev',
    'publish',
    'config',
    'loadedConfig',
    'invalidateConfig',
    'onInstanceBoot',
    'reloading',
    'clustered',
    'node',
    'keep',
  ],
  register(app, kernel) {
    kernel.storage.migrate('share', SHARE_MIGRATIONS)
    const store = new ShareStore(kernel.storage.db)

    const share = (instance: Instance, sessionID: string, base: string): SessionInfo => {
      const existing = store.idOf(sessionID)
      const id = existing ?? randomBytes(9).toString('base64url')
      if (!existing) store.add(id, sessionID)
      return app.sessions.update(instance, sessionID, (info) => {
        info.share = { url: `${base}/share/${id}` }
      })
    }

    const unsubscribe = kernel.bus.subscribe((event) => {
      const { type, properties } = event.payload
      if (type === 'session.deleted') store.remove((properties as { sessionID: string }).sessionID)
      if (type !== 'session.created' || event.directory === 'global') return
      const info = (properties as { info: SessionInfo }).info
      if (info.parentID) return
      void kernel.instances
        .get(event.directory)
        .then((instance) => {
          if (shareMode(kernel, instance) === 'auto') share(instance, info.id, origin(app))
        })
        .catch((error: unknown) => kernel.log.warn({ err: error, sessionID: info.id }, 'auto-share failed'))
    })
    app.addHook('onClose', async () => unsubscribe())

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
        const { sessionID } = request.params as Static<typeof SessionParams>
        app.sessions.get(request.instance, sessionID)
        if (shareMode(kernel, request.instance) === 'disabled')
          throw new ForbiddenError('Sharing is disabled by the config (share: "disabled")')
        return share(request.instance, sessionID, origin(app, request))
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
        const { sessionID } = request.params as Static<typeof SessionParams>
        app.sessions.get(request.instance, sessionID)
        store.remove(sessionID)
        return app.sessions.update(request.instance, sessionID, (info) => {
          delete info.share
        })
      },
    )

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
        const { shareID } = request.params as Static<typeof ShareParams>
        const sessionID = store.sessionOf(shareID)
        const info = sessionID ? app.sessions.find(sessionID) : undefined
        if (!info) throw new NotFoundError(`Share not found: ${shareID}`)
        const messages = app.sessions.messages(info.id, PAGE_MESSAGES + 1)
        const omitted = messages.length > PAGE_MESSAGES
        const shown = omitted ? messages.slice(1) : messages
        if ((request.query as Static<typeof ShareQuery>).format === 'json') return { info, messages: shown }
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
  },
})
