import cors from '@fastify/cors'
import swagger from '@fastify/swagger'
import websocket from '@fastify/websocket'
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify'
import fastifyPlugin from 'fastify-plugin'
import type { Server } from 'node:http'
import { handleClientError } from './client-error.js'
import { kernelCompilers } from './schema-compilers.js'
import { checkDirectory, normaliseDirectory, requestedDirectory } from '../instances/directory.js'
import { eventDocument } from './openapi-document.js'
import {
  BadRequestError,
  errorReference,
  isNamedError,
  NamedError,
  NotFoundError,
  PluginLoadError,
  type RequestPart,
} from '../core/errors.js'
import type { Instance } from '../instances/instance.js'
import type { KernelRuntime } from '../core/kernel-runtime.js'
import type { LoadedPlugin } from '../core/plugin-loader.js'
import { registerKernelRoutes } from './kernel-routes.js'
import { isV2Request, locationDirectory, taggedBody, V2_SCHEMAS } from './v2-conventions.js'
import { KERNEL_SCHEMAS, registerSchemas } from './schemas.js'
import { createSecurityHook, isAllowedOrigin, type SecurityOptions } from './security.js'
import type { EventStreams } from '../events/event-streams.js'
import type { RequestRouting } from './request-routing.js'
import { requestedWorkspace, workspaceDirectory } from '../instances/workspace.js'

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
  serverFactory?: (handler: (req: any, res: any) => void) => Server
  /** True while a dev-mode reload closes this app: its WebSocket connections stay open. */
  keepConnections?: () => boolean
  /** Compile each route's validator and serializer on its first request (faster start-up). */
  lazyCompile?: boolean
  /** Called when a third-party plugin fails to register; the server goes on without it. */
  onPluginFailure: (plugin: LoadedPlugin, error: Error) => void
}

/** A request taking this long is logged at `info` even when requests are not (prompts can). */
const SLOW_REQUEST_MS = 1000

const VALIDATION_KIND: Record<string, RequestPart> = {
  body: 'Body',
  querystring: 'Query',
  params: 'Params',
  headers: 'Headers',
}

/** A named error in the shape of the surface the request is on: `{ name, data }`, or tagged on v2. */
function sendNamed(request: FastifyRequest, reply: FastifyReply, error: NamedError): void {
  if (isV2Request(request) && error.statusCode < 500)
    reply.status(error.statusCode).send(taggedBody(error.name, error.data))
  else reply.status(error.statusCode).send(error.toJSON())
}

/** The v2 routes' answer to a failed validation: `InvalidRequestError` naming the field. */
function handleV2Validation(error: FastifyError, reply: FastifyReply): void {
  const first = error.validation?.[0]
  const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty
  const path = first?.instancePath ? first.instancePath.slice(1).split('/') : []
  if (missing) path.push(missing)
  const kind =
    ({ body: 'Payload', querystring: 'Query', params: 'Params', headers: 'Query' } as const)[
      error.validationContext ?? 'body'
    ] ?? 'Payload'
  const at = path.length ? `\n  at [${path.map((key) => JSON.stringify(key)).join('][')}]` : ''
  const message = `${missing ? 'Missing key' : (first?.message ?? error.message)}${at}`
  reply.status(400).send({ _tag: 'InvalidRequestError', message, kind, ...(path[0] ? { field: path[0] } : {}) })
}

/** Turns any error into the one JSON shape with the right status; 5xx details stay in the log. */
function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (isNamedError(error)) {
    sendNamed(request, reply, error)
    return
  }
  if (error.validation && isV2Request(request)) {
    handleV2Validation(error, reply)
    return
  }
  if (error.validation) {
    const first = error.validation[0]
    const field = first?.instancePath
      ? first.instancePath.slice(1).replace(/\//g, '.')
      : (first?.params as { missingProperty?: string })?.missingProperty
    const where = field ? ` at "${field}"` : ''
    const allowed = (first?.params as { allowedValues?: unknown[] } | undefined)?.allowedValues
    const expected = allowed ? ` (${allowed.map((value) => JSON.stringify(value)).join(', ')})` : ''
    const message = `${error.validationContext ?? 'request'}${where}: ${first?.message ?? error.message}${expected}`
    const kind = VALIDATION_KIND[error.validationContext ?? 'body'] ?? 'Body'
    reply.status(400).send(new BadRequestError(message, kind).toJSON())
    return
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      sendNamed(request, reply, new BadRequestError(`Malformed JSON body: ${error.message}`, 'Body'))
      return
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      reply.status(413).send({ name: 'PayloadTooLargeError', data: { message: 'Request body is too large' } })
      return
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      reply.status(415).send({
        name: 'UnsupportedMediaTypeError',
        data: { message: `Unsupported content type: ${request.headers['content-type'] ?? ''}` },
      })
      return
  }
  const code = (error as { code?: unknown }).code
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    request.log.warn({ err: error, url: request.url, method: request.method }, 'disk full')
    reply.status(507).send({
      name: 'InsufficientStorageError',
      data: {
        message: 'The server cannot store this: its disk is full. Nothing was changed; retry once space is freed.',
      },
    })
    return
  }
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) {
    sendNamed(request, reply, new NamedError('BadRequest', status, { message: error.message }))
    return
  }
  const ref = errorReference()
  request.log.error({ err: error, ref, url: request.url, method: request.method }, 'request failed')
  reply
    .status(500)
    .send({ name: 'UnknownError', data: { message: 'Unexpected server error. Check server logs for details.', ref } })
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

  // An empty JSON body counts as no body: OpenCode clients POST action routes without one.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString()
    if (text.trim() === '') return done(null, undefined)
    parseJson(request, text, done)
  })

  // Requests are logged at `debug`; at the default level only slow ones (and 5xx, by the error
  // handler) reach the log, so the hot path writes nothing.
  const logEvery = kernel.log.level === 'debug' || kernel.log.level === 'trace'
  app.addHook('onResponse', (request, reply, done) => {
    const ms = reply.elapsedTime
    if (ms >= SLOW_REQUEST_MS)
      request.log.info(
        { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(ms) },
        'slow request',
      )
    else if (logEvery)
      request.log.debug(
        { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(ms * 100) / 100 },
        'request',
      )
    done()
  })

  // A backend shared by several servers forwards requests for instances another server runs.
  const routing: RequestRouting | undefined = kernel.backend.routing?.(app, kernel.instances)
  if (routing) {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (!routing.handleError(error, request, reply)) handleError(error, request, reply)
    })
    app.addHook('onClose', () => routing.close())
  } else {
    app.setErrorHandler(handleError)
  }
  app.setNotFoundHandler((request, reply) => {
    sendNamed(request, reply, new NotFoundError(`Route not found: ${request.method} ${request.url.split('?')[0]}`))
  })

  // Order matters: CORS headers go on every answer (401s included), then security, then routing.
  await app.register(cors, {
    origin: (origin, callback) =>
      callback(null, origin === undefined ? false : isAllowedOrigin(origin, options.security)),
    methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'],
    maxAge: 86400,
    strictPreflight: false,
  })
  // Before the security hook: its onRequest hook marks upgrade requests, so that an upgrade the
  // security or instance hooks refuse still has its socket destroyed (else it keeps the server open).
  await app.register(websocket, {
    options: { maxPayload: 1024 * 1024 },
    // A dev-mode reload closes the old app but keeps its WebSockets (terminals stay attached).
    preClose(done) {
      if (!options.keepConnections?.())
        for (const client of this.websocketServer.clients) client.close(1001, 'server closing')
      this.websocketServer.close()
      done()
    },
  })
  app.addHook(
    'onRequest',
    createSecurityHook(
      routing?.clientAddress ? { ...options.security, clientAddress: routing.clientAddress } : options.security,
    ),
  )
  routing?.addHooks(app)

  const cwd = normaliseDirectory(options.cwd)
  app.decorateRequest('instance', null as unknown as Instance)
  // Routes that run in an instance get the hook that finds it, decided once per route rather than
  // on every request. Route-level onRequest hooks run after the global ones (security first).
  const findInstance = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void => {
    if (request.method === 'OPTIONS') return done()
    const workspace = requestedWorkspace(request)
    if (workspace) {
      if (!/^wrk_[A-Za-z0-9]+$/.test(workspace.id))
        return done(
          new BadRequestError(`workspace must be a workspace id (wrk_…), got "${workspace.id}"`, workspace.from),
        )
      const directory = workspaceDirectory(kernel.extensions, workspace.id)
      if (!directory) return done(new NotFoundError(`Workspace not found: ${workspace.id}`))
      request.workspaceID = workspace.id
      if (routing)
        return routing.route(
          request,
          reply,
          kernel.instances.has(directory) ? Promise.resolve(directory) : checkDirectory(directory, 'cwd'),
          done,
        )
      const found = kernel.instances.has(directory)
        ? kernel.instances.get(directory)
        : checkDirectory(directory, 'cwd').then((checked) => kernel.instances.get(checked))
      found.then(
        (instance) => {
          request.instance = instance
          done()
        },
        (error: Error) => done(error),
      )
      return
    }
    const { directory: raw, from } = requestedDirectory(request, cwd)
    const directory = raw === cwd ? cwd : normaliseDirectory(raw)
    // A booted instance is found without a promise or a syscall: the hot path stays synchronous.
    const ready = kernel.instances.ready(directory)
    if (ready && (routing === undefined || routing.servesHere(request, directory))) {
      request.instance = ready
      return done()
    }
    if (routing)
      return routing.route(
        request,
        reply,
        kernel.instances.has(directory) ? Promise.resolve(directory) : checkDirectory(raw, from),
        done,
      )
    const pending = kernel.instances.has(directory)
      ? kernel.instances.get(directory)
      : checkDirectory(raw, from).then((checked) => kernel.instances.get(checked))
    pending.then(
      (instance) => {
        request.instance = instance
        done()
      },
      (error: Error) => done(error),
    )
  }
  // v2 location routes read `location[directory]` (then the header, then the cwd) instead.
  const findLocation = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void => {
    if (request.method === 'OPTIONS') return done()
    if (routing)
      return routing.route(
        request,
        reply,
        locationDirectory(request, cwd, (workspaceID) => workspaceDirectory(kernel.extensions, workspaceID)),
        done,
      )
    locationDirectory(request, cwd, (workspaceID) => workspaceDirectory(kernel.extensions, workspaceID))
      .then((directory) => kernel.instances.get(directory))
      .then(
        (instance) => {
          request.instance = instance
          done()
        },
        (error: Error) => done(error),
      )
  }
  app.addHook('onRoute', (route) => {
    if (route.config?.instance === false) return
    // A ticket the owner issued is redeemed there: this node lets it on to forwarding.
    if (routing?.ticketCheck && route.config?.ticket)
      route.config = { ...route.config, ticket: routing.ticketCheck(route.config.ticket) }
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (methods.every((method) => method === 'OPTIONS')) return
    const own =
      route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
    route.onRequest = [(route.config?.location ? findLocation : findInstance) as never, ...own]
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'opencode-kernel',
        version: kernel.version,
        description: 'The OpenCode HTTP API, served by opencode-kernel',
      },
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
    transformObject: (document) => eventDocument((document as { openapiObject: Record<string, any> }).openapiObject),
  })
  registerSchemas(app, KERNEL_SCHEMAS)
  registerSchemas(app, V2_SCHEMAS)
  registerKernelRoutes(app, kernel, options.streams)

  for (const plugin of plugins) {
    const { definition } = plugin
    const register = async (scope: FastifyInstance) => {
      if (plugin.builtin) return definition.register(scope, kernel)
      try {
        await definition.register(scope, kernel)
      } catch (error) {
        options.onPluginFailure(plugin, error as Error)
      }
    }
    // Plugins share the root scope so their schemas and decorators are visible to the others.
    try {
      await app.register(
        fastifyPlugin(register, { name: definition.name, dependencies: [...(definition.dependencies ?? [])] }),
      )
    } catch (error) {
      throw new PluginLoadError(definition.name, `failed to register: ${(error as Error).message}`, { cause: error })
    }
  }
  return app
}
