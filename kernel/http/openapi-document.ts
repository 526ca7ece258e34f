import swagger from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'
import { definedEvents } from '../events/bus.js'
import { refTarget } from './schemas.js'

interface OpenApiOperation {
  parameters?: unknown
  responses?: unknown
  [key: string]: unknown
}

/** The parts of the OpenAPI document the kernel completes: paths and component schemas. */
export interface OpenApiDocument {
  paths?: Record<string, Record<string, OpenApiOperation | undefined>>
  components?: { schemas?: Record<string, unknown>; [key: string]: unknown }
  [key: string]: unknown
}

/** OpenCode's component name for an event: `session.created` -> `EventSessionCreated`. */
export function eventComponentName(type: string): string {
  return (
    'Event' +
    type
      .split('.')
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
      .join('')
  )
}

/**
 * Rewrites `$ref: "Session.Info"` (a registered `$id`) to its component path. A schema referred
 * to only from events (no route registered it) is added to `components`.
 */
function localRefs(schema: unknown, components: Record<string, unknown>): unknown {
  if (Array.isArray(schema)) return schema.map((item) => localRefs(item, components))
  if (schema === null || typeof schema !== 'object') return schema
  const target = refTarget(schema)
  if (target && !(target.$id in components)) {
    components[target.$id] = {}
    components[target.$id] = localRefs(target, components)
  }
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string' && !value.startsWith('#'))
      out[key] = `#/components/schemas/${value}`
    else if (key === '$id') continue
    else out[key] = localRefs(value, components)
  }
  return out
}

/** A wildcard route (`/api/fs/read/*`) is written as OpenCode writes it, not as a `{*}` parameter. */
function wildcardPaths(document: OpenApiDocument): void {
  const paths = document.paths ?? {}
  for (const path of Object.keys(paths)) {
    if (!path.endsWith('/{*}')) continue
    const item = paths[path]!
    for (const operation of Object.values(item)) {
      if (operation && Array.isArray(operation.parameters))
        operation.parameters = (operation.parameters as { in?: string; name?: string }[]).filter(
          (parameter: { in?: string; name?: string }) => !(parameter.in === 'path' && parameter.name === '*'),
        )
    }
    delete paths[path]
    paths[path.slice(0, -3) + '*'] = item
  }
}

/**
 * OpenCode 2.1 gave its `/api/*` operations ids its 1.x server used for v1 routes
 * (`session.list` is `GET /session` in 1.18, `GET /api/session` in 2.1). Both are served here;
 * operation ids must be unique, so `/api/*` keeps 2.1's id and the v1 route's becomes `v1.<id>`.
 */
function uniqueOperationIds(document: OpenApiDocument): void {
  const apiIds = new Set<string>()
  const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.values(item).map((operation) => ({ path, operation: operation as { operationId?: unknown } })),
  )
  for (const { path, operation } of operations)
    if (path.startsWith('/api/') && typeof operation?.operationId === 'string') apiIds.add(operation.operationId)
  for (const { path, operation } of operations)
    if (!path.startsWith('/api/') && typeof operation?.operationId === 'string' && apiIds.has(operation.operationId))
      operation.operationId = `v1.${operation.operationId}`
}

/**
 * Completes the OpenAPI document with every defined event: one component per event, the `Event`
 * union, `GlobalEvent`, and both SSE routes' `text/event-stream` payloads.
 */
export function eventDocument(document: OpenApiDocument): OpenApiDocument {
  wildcardPaths(document)
  uniqueOperationIds(document)
  const schemas = ((document.components ??= {}).schemas ??= {})
  const refs: { $ref: string }[] = []
  for (const event of definedEvents()) {
    const name = eventComponentName(event.type)
    schemas[name] = {
      type: 'object',
      properties: {
        id: { type: 'string', pattern: '^evt_' },
        type: { type: 'string', enum: [event.type] },
        properties: localRefs(event.properties, schemas),
      },
      required: ['id', 'type', 'properties'],
    }
    refs.push({ $ref: `#/components/schemas/${name}` })
  }
  schemas.Event = { anyOf: refs }
  schemas.GlobalEvent = {
    type: 'object',
    properties: {
      directory: { type: 'string' },
      project: { type: 'string' },
      payload: { $ref: '#/components/schemas/Event' },
    },
    required: ['payload'],
  }
  const stream = (component: string) => ({
    description: 'Server-sent events; each frame has an increasing `id:` line and one JSON `data:` line',
    content: { 'text/event-stream': { schema: { $ref: `#/components/schemas/${component}` } } },
  })
  const paths = document.paths ?? {}
  if (paths['/event']?.get) paths['/event'].get.responses = { '200': stream('Event') }
  if (paths['/global/event']?.get) paths['/global/event'].get.responses = { '200': stream('GlobalEvent') }
  return document
}

/** `GET /doc`'s document: built by @fastify/swagger from the routes, components named by `$id`, completed with the events. */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'opencode-kernel',
        version,
        description: 'The OpenCode HTTP API, served by opencode-kernel',
      },
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
    transformObject: (document) => eventDocument((document as { openapiObject: OpenApiDocument }).openapiObject),
  })
}
