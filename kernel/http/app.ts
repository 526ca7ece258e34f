import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify'
import type { RequestListener, Server } from 'node:http'
import type { KernelRuntime } from '../core/kernel-runtime.js'
import type { LoadedPlugin } from '../core/plugin-loader.js'
import type { EventStreams } from '../events/event-streams.js'
import { flushEventStreams } from '../events/sse-client.js'
import type { Instance } from '../instances/instance.js'
import { handleClientError } from './client-error.js'
import { registerCors, registerWebSockets } from './cors-and-websockets.js'
import { handleError, handleNotFound } from './error-handler.js'
import { addInstanceRouting } from './instance-routing.js'
import { registerKernelRoutes } from './kernel-routes.js'
import { registerLocationRoutes } from './location-routes.js'
import { registerOpenApi } from './openapi-document.js'
import { registerPairingRoutes } from './pairing-routes.js'
import { registerPlugins } from './plugin-registration.js'
import { acceptEmptyJsonBody, addRequestLogging } from './request-logging.js'
import type { RequestRouting } from './request-routing.js'
import { kernelCompilers } from './schema-compilers.js'
import { KERNEL_SCHEMAS, registerSchemas } from './schemas.js'
import { createSecurityHook, type SecurityOptions } from './security.js'
import { V2_SCHEMAS } from './v2-conventions.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The project instance this request runs in (absent on routes with `config.instance: false`). */
    instance: Instance
    /** The workspace the request named (`?workspace=`, `x-opencode-workspace`); its directory is the instance's. */
    workspaceID?: string
  }
  interface FastifyContextConfig {
    /** `false` for routes that belong to no project directory (`/global/*`, `/doc`). */
    instance?: boolean
    /**
     * For routes browsers reach without credentials (a WebSocket): takes a one-time ticket the
     * plugin issued to an authenticated request instead of the password. True accepts it.
     */
    ticket?: (request: FastifyRequest) => boolean
    /** A v2 (`/api/*`) route: errors answer in the tagged shape `{ _tag, message }`. */
    v2?: boolean
    /** A v2 route tied to a location: the instance comes from `location[directory]`, not `?directory=`. */
    location?: boolean
  }
}

export interface AppOptions {
  security: SecurityOptions
  /** Directory used when a request names none. */
  cwd: string
  bodyLimit: number
  streams: EventStreams
  /** Let Fastify create its server on this one (hot reload reuses the listener). */
  serverFactory?: (handler: RequestListener) => Server
  /** True while a dev-mode reload closes this app: its WebSocket connections stay open. */
  keepConnections?: () => boolean
  /** Compile each route's validator and serializer on its first request (faster start-up). */
  lazyCompile?: boolean
  /** Called when a third-party plugin fails to register; the server goes on without it. */
  onPluginFailure: (plugin: LoadedPlugin, error: Error) => void
}

/** The error handler: the backend's routing has the first say (a request for another server). */
function setErrorHandler(app: FastifyInstance, routing: RequestRouting | undefined): void {
  if (!routing) {
    app.setErrorHandler(handleError)
    return
  }
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (!routing.handleError(error, request, reply)) handleError(error, request, reply)
  })
  app.addHook('onClose', () => routing.close())
}

/**
 * Builds the Fastify app: security, instance routing, schema registry, /doc, kernel routes, then
 * every plugin in dependency order. It does not listen.
 */
export async function buildApp(
  kernel: KernelRuntime,
  plugins: readonly LoadedPlugin[],
  options: AppOptions,
): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: kernel.log,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit,
    forceCloseConnections: true,
    clientErrorHandler: handleClientError,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
    schemaController: { compilersFactory: kernelCompilers(options.lazyCompile ?? false) as never },
  })
  acceptEmptyJsonBody(app)
  addRequestLogging(app, kernel.log)
  // A backend shared by several servers forwards requests for instances another server runs.
  const routing = kernel.backend.routing?.(app, kernel.instances)
  setErrorHandler(app, routing)
  app.setNotFoundHandler(handleNotFound)

  // Order matters: CORS headers go on every answer (401s included), then security, then routing.
  registerCors(app, options.security)
  await registerWebSockets(app, options.keepConnections)
  const security = routing
    ? {
        ...options.security,
        clientAddress: routing.clientAddress,
        forwardedHost: routing.forwardedHost,
        forwardedAuthenticated: routing.forwardedAuthenticated,
      }
    : options.security
  app.addHook('onRequest', createSecurityHook(security))
  routing?.addHooks(app)
  // After the cluster's hooks (which wait until the request's events are delivered here): the
  // events' frames go out before the answer.
  app.addHook('onSend', (_request, _reply, payload, done) => {
    flushEventStreams()
    done(null, payload)
  })
  addInstanceRouting(app, { instances: kernel.instances, extensions: kernel.extensions, cwd: options.cwd, routing })

  await registerOpenApi(app, kernel.version)
  registerSchemas(app, KERNEL_SCHEMAS)
  registerSchemas(app, V2_SCHEMAS)
  registerKernelRoutes(app, kernel, options.streams)
  registerLocationRoutes(app, kernel, options.cwd)
  if (security.pairing) registerPairingRoutes(app, security, security.pairing)
  await registerPlugins(app, kernel, plugins, options.onPluginFailure)
  return app
}
