import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { NotFoundError, SESSION_COOKIE, signSessionCookie, type PluginApp } from '../../sdk/index.js'
import { WebAppNotBuiltError } from './errors.js'
import { AssetParams, LoginResult } from './schemas.js'
import { CONTENT_SECURITY_POLICY, findWebRoot, loadAssets, pickEncoding, wantsHtml, type Asset } from './service.js'

/** How long a login lasts. */
const SESSION_MS = 7 * 24 * 60 * 60 * 1000

// Path segments that are never client-side routes, besides the first segment of every route in /doc.
const RESERVED = ['doc', 'assets', 'web', 'api']

function cookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : ''
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`
}

/** The password the security hook has just accepted on this request, if it came in a header. */
function presentedPassword(request: FastifyRequest): string | undefined {
  const [scheme = '', value = ''] = (request.headers.authorization ?? '').split(' ', 2)
  if (scheme.toLowerCase() === 'bearer') return value.trim()
  if (scheme.toLowerCase() !== 'basic') return undefined
  const decoded = Buffer.from(value.trim(), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon === -1 ? undefined : decoded.slice(colon + 1)
}

/** The built app served from memory: its files, and which paths are the app's rather than the API's. */
interface WebSite {
  files(): Map<string, Asset>
  isApiPath(path: string): boolean
  send(request: FastifyRequest, reply: FastifyReply, asset: Asset): FastifyReply
  /** The app's page, for `/` and client-side routes. */
  index(request: FastifyRequest, reply: FastifyReply): FastifyReply
  pathOf(request: FastifyRequest): string
  /** Static files and app pages are public (the login form is one of them); the API behind them is not. */
  isPublicPage(request: FastifyRequest): boolean
}

/** The web app's page, its files and client-side routes; the cookie login. */
export function registerWebRoutes(app: PluginApp): void {
  const site = webSite(app)
  registerAppRoutes(app, site)
  registerLoginRoutes(app)
}

function webSite(app: PluginApp): WebSite {
  let assets: Map<string, Asset> | undefined
  const files = (): Map<string, Asset> => {
    if (!assets) {
      const root = findWebRoot()
      if (!root) throw new WebAppNotBuiltError()
      assets = loadAssets(root)
    }
    return assets
  }

  let apiSegments: Set<string> | undefined
  const isApiPath = (path: string): boolean => {
    if (!apiSegments) {
      const paths = Object.keys((app.swagger() as { paths?: Record<string, unknown> }).paths ?? {})
      apiSegments = new Set([
        ...RESERVED,
        ...paths.map((p) => p.split('/')[1] ?? '').filter((segment) => segment && !segment.startsWith('{')),
      ])
    }
    return apiSegments.has(path.split('/')[1] ?? '')
  }

  const send = (request: FastifyRequest, reply: FastifyReply, asset: Asset) => {
    reply.type(asset.type).header('vary', 'accept-encoding').header('x-content-type-options', 'nosniff')
    reply.header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    if (asset.type.startsWith('text/html'))
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('referrer-policy', 'no-referrer')
    const encoding = pickEncoding(asset, request.headers['accept-encoding'])
    if (encoding) reply.header('content-encoding', encoding)
    return reply.send(encoding === 'br' ? asset.brotli : encoding === 'gzip' ? asset.gzip : asset.body)
  }
  const index = (request: FastifyRequest, reply: FastifyReply) => {
    const page = files().get('/index.html')
    if (!page) throw new WebAppNotBuiltError()
    return send(request, reply, page)
  }
  const pathOf = (request: FastifyRequest) => request.url.split('?')[0] ?? '/'
  const isPublicPage = (request: FastifyRequest): boolean => {
    const path = pathOf(request)
    if (assets?.has(path) || (!assets && /^\/[A-Za-z0-9._-]+\.(svg|png|ico|txt|webmanifest)$/.test(path))) return true
    return wantsHtml(request.headers.accept) && !isApiPath(path)
  }
  return { files, isApiPath, send, index, pathOf, isPublicPage }
}

function registerAppRoutes(app: PluginApp, { files, isApiPath, send, index, pathOf, isPublicPage }: WebSite): void {
  app.get(
    '/',
    {
      config: { instance: false, ticket: () => true },
      schema: {
        operationId: 'web.app',
        tags: ['web'],
        summary: 'The web app',
        description: 'The browser client (HTML). Public: it shows a login form when the server has a password.',
      },
    },
    index,
  )

  app.get(
    '/assets/:file',
    {
      config: { instance: false, ticket: () => true },
      schema: {
        operationId: 'web.asset',
        tags: ['web'],
        summary: 'A file of the web app',
        description: 'Built with hashed names: cached for a year, sent brotli or gzip compressed when accepted.',
        params: AssetParams,
      },
    },
    async (request, reply) => {
      const { file } = request.params
      const asset = files().get(`/assets/${file}`)
      if (!asset) throw new NotFoundError(`Asset not found: ${file}`)
      return send(request, reply, asset)
    },
  )

  // Client-side routes: a browser navigation to any other path that is no API path gets the app;
  // everything else answers the JSON 404 as before.
  app.get(
    '/*',
    { config: { instance: false, ticket: isPublicPage }, schema: { hide: true } },
    async (request, reply) => {
      const path = pathOf(request)
      const asset = files().get(path)
      if (asset && path !== '/index.html') return send(request, reply, asset)
      if (wantsHtml(request.headers.accept) && !isApiPath(path)) return index(request, reply)
      throw new NotFoundError(`Route not found: ${request.method} ${path}`)
    },
  )
}

function registerLoginRoutes(app: PluginApp): void {
  app.post(
    '/web/login',
    {
      config: { instance: false },
      schema: {
        operationId: 'web.login',
        tags: ['web'],
        summary: 'Sign the web app in',
        description:
          'Send the server password as `Authorization: Bearer <password>` (or Basic). On success sets an `HttpOnly`, `SameSite=Strict` session cookie that the API, SSE and WebSockets accept. A wrong password is a 401, after the same delay as any wrong password.',
        response: { 200: LoginResult },
      },
    },
    async (request, reply) => {
      const password = presentedPassword(request)
      // No header: the server has no password, or the request came with a valid cookie already.
      if (password === undefined) return { authenticated: true }
      const expires = Date.now() + SESSION_MS
      reply.header('set-cookie', cookie(request, signSessionCookie(password, expires), SESSION_MS / 1000))
      return { authenticated: true, expires }
    },
  )

  app.post(
    '/web/logout',
    {
      config: { instance: false, ticket: () => true },
      schema: {
        operationId: 'web.logout',
        tags: ['web'],
        summary: 'Sign the web app out',
        description: 'Clears the session cookie. Public, so that an expired cookie can be cleared too.',
        response: { 200: Type.Boolean() },
      },
    },
    async (request, reply) => {
      reply.header('set-cookie', cookie(request, '', 0))
      return true
    },
  )
}
