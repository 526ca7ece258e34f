import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { KernelRuntime } from '../core/kernel-runtime.js'
import { InstanceQuery } from './schemas.js'
import type { EventStreams } from '../events/event-streams.js'

const Done = { 200: Type.Boolean() }

/** The kernel's own routes: the SSE streams, instance disposal and the OpenAPI document. */
export function registerKernelRoutes(app: FastifyInstance, kernel: KernelRuntime, streams: EventStreams): void {
  registerDocRoute(app)
  registerEventRoutes(app, streams)
  registerDisposeRoutes(app, kernel)
}

/** `GET /doc`: the OpenAPI document of every route; also at OpenCode 2.1's `GET /openapi.json`. */
function registerDocRoute(app: FastifyInstance): void {
  app.get(
    '/doc',
    {
      config: { instance: false },
      schema: {
        operationId: 'global.doc',
        tags: ['global'],
        summary: 'OpenAPI document',
        description:
          'The OpenAPI 3.1 document of every route this server serves (this one included), with the event union for the SSE streams.',
      },
    },
    async () => app.swagger(),
  )
  // Authenticated like `/api/*` (its 401 is tagged), and left out of the document it serves.
  app.get('/openapi.json', { config: { instance: false, v2: true }, schema: { hide: true } }, async () => app.swagger())
}

/** The SSE streams: one instance's events, every instance's, and the v2 envelopes. */
function registerEventRoutes(app: FastifyInstance, streams: EventStreams): void {
  app.get(
    '/event',
    {
      schema: {
        operationId: 'event.subscribe',
        tags: ['event'],
        summary: 'Subscribe to events',
        description:
          'Server-sent events of this instance, starting with `server.connected`. `Last-Event-ID` replays missed events.',
        querystring: Type.Object(InstanceQuery),
      },
    },
    (request, reply) => streams.open(request, reply, request.instance.directory),
  )

  app.get(
    '/global/event',
    {
      config: { instance: false },
      schema: {
        operationId: 'global.event',
        tags: ['global'],
        summary: 'Subscribe to global events',
        description: 'Server-sent events of every instance, each wrapped as `{directory, project, payload}`.',
      },
    },
    (request, reply) => streams.open(request, reply),
  )

  app.get(
    '/api/event',
    {
      config: { instance: false, v2: true },
      schema: {
        operationId: 'event.subscribe',
        tags: ['v2'],
        summary: 'Subscribe to events',
        description:
          'Server-sent events of the whole server as v2 envelopes `{id, type, durable?, location?, data}`, starting with `server.connected`, with `: heartbeat` comments; carries the live `session.next.*.delta` events. `Last-Event-ID` replays missed events.',
      },
    },
    (request, reply) => streams.open(request, reply, undefined, { v2: true }),
  )
}

/** Releasing one instance, or all of them (their terminals, MCP servers, watchers). */
function registerDisposeRoutes(app: FastifyInstance, kernel: KernelRuntime): void {
  app.post(
    '/instance/dispose',
    {
      schema: {
        operationId: 'instance.dispose',
        tags: ['instance'],
        summary: 'Dispose the instance',
        description:
          'Releases the instance of this directory (terminals, MCP servers, watchers); the next request boots it again.',
        querystring: Type.Object(InstanceQuery),
        response: Done,
      },
    },
    async (request) => {
      await kernel.instances.dispose(request.instance.directory)
      return true
    },
  )

  app.post(
    '/global/dispose',
    {
      config: { instance: false },
      schema: {
        operationId: 'global.dispose',
        tags: ['global'],
        summary: 'Dispose all instances',
        response: Done,
      },
    },
    async () => {
      await kernel.disposeAll()
      return true
    },
  )
}
