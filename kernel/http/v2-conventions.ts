import type { FastifyRequest } from 'fastify'
import { Type, type TSchema } from 'typebox'
import { checkDirectory } from '../instances/directory.js'
import { NamedError, type ErrorData } from '../core/errors.js'
import type { Instance } from '../instances/instance.js'
import { named, ref, type NamedSchema } from './schemas.js'

/*
 * The conventions of OpenCode's second API surface (`/api/*`, operation ids `v2.*`), shared by
 * every plugin that serves a part of it: tagged errors, locations, envelopes and cursors.
 * A route opts in with `config: { v2: true }` (tagged errors) and, when it is tied to a
 * location rather than a session, `config: { location: true }` (instance from `location[...]`).
 */

/**
 * An error answered as `{ _tag, message, ...fields }` on v2 routes (and as the usual
 * `{ name, data }` anywhere else, so a service can throw it from both surfaces).
 */
export class TaggedError extends NamedError {
  constructor(tag: string, statusCode: number, message: string, fields: Record<string, unknown> = {}) {
    super(tag, statusCode, { ...fields, message })
  }
}

export class InvalidRequestError extends TaggedError {
  constructor(message: string, fields: { kind?: 'Payload' | 'Query' | 'Params'; field?: string } = {}) {
    super('InvalidRequestError', 400, message, fields)
  }
}

export class InvalidCursorError extends TaggedError {
  constructor(message = 'Invalid cursor') {
    super('InvalidCursorError', 400, message)
  }
}

/** OpenCode 2.1's answer to a location that is not an existing absolute directory. */
export class LocationNotFoundError extends TaggedError {
  constructor(directory: string) {
    super('LocationNotFoundError', 404, `Location not found: ${directory}`, { location: { directory } })
  }
}

export class ServiceUnavailableError extends TaggedError {
  constructor(message: string, service?: string) {
    super('ServiceUnavailableError', 503, message, service ? { service } : {})
  }
}

// v1 names that have a v2 tag of their own; the rest keep their name as the tag.
const TAG_OF: Record<string, string> = { BadRequest: 'InvalidRequestError' }
const KIND_OF: Record<string, string> = { Body: 'Payload', Query: 'Query', Params: 'Params', Headers: 'Query' }

/** The v2 body of any named error: `{ _tag, message, ...fields }`. */
export function taggedBody(name: string, data: ErrorData): Record<string, unknown> {
  const { message, ...fields } = data
  const tag = TAG_OF[name] ?? name
  if (tag === 'InvalidRequestError' && typeof fields.kind === 'string')
    fields.kind = KIND_OF[fields.kind] ?? fields.kind
  return { _tag: tag, message, ...fields }
}

/** True for requests served by a v2 route, or aimed at the `/api/` prefix. */
export function isV2Request(request: FastifyRequest): boolean {
  return request.routeOptions.config?.v2 === true || request.url.startsWith('/api/') || request.url === '/api'
}

function taggedSchema(tag: string, fields: Record<string, TSchema> = {}): NamedSchema {
  return named(
    tag,
    Type.Object({ _tag: Type.Literal(tag), message: Type.String(), ...fields }, { additionalProperties: false }),
  )
}

export const InvalidRequestErrorBody = taggedSchema('InvalidRequestError', {
  kind: Type.Optional(Type.String()),
  field: Type.Optional(Type.String()),
})
export const InvalidCursorErrorBody = taggedSchema('InvalidCursorError')
export const UnauthorizedErrorBody = taggedSchema('UnauthorizedError')
export const ForbiddenErrorBody = taggedSchema('ForbiddenError')
export const ConflictErrorBody = taggedSchema('ConflictError', { resource: Type.Optional(Type.String()) })
export const ServiceUnavailableErrorBody = taggedSchema('ServiceUnavailableError', {
  service: Type.Optional(Type.String()),
})

/** OpenCode 2.1's reference to a location: its directory only. */
export const LocationPublicRef = named(
  'Location.PublicRef',
  Type.Object({ directory: Type.String() }, { additionalProperties: false }),
)

export const LocationNotFoundErrorBody = taggedSchema('LocationNotFoundError', { location: ref(LocationPublicRef) })

/** Any tagged error, for the 403/404 answers whose tag depends on what was not found. */
export const V2ErrorBody = named(
  'V2Error',
  Type.Object({ _tag: Type.String(), message: Type.String() }, { additionalProperties: true }),
)

export const LocationRef = named(
  'LocationRef',
  Type.Object(
    { directory: Type.String(), workspaceID: Type.Optional(Type.String({ pattern: '^wrk' })) },
    { additionalProperties: false },
  ),
)

export const LocationInfo = named(
  'LocationInfo',
  Type.Object(
    {
      directory: Type.String(),
      workspaceID: Type.Optional(Type.String({ pattern: '^wrk' })),
      project: Type.Object({ id: Type.String(), directory: Type.String() }, { additionalProperties: false }),
    },
    { additionalProperties: false },
  ),
)

export const V2_SCHEMAS: readonly NamedSchema[] = [
  InvalidRequestErrorBody,
  InvalidCursorErrorBody,
  UnauthorizedErrorBody,
  ForbiddenErrorBody,
  ConflictErrorBody,
  ServiceUnavailableErrorBody,
  V2ErrorBody,
  LocationRef,
  LocationInfo,
  LocationPublicRef,
  LocationNotFoundErrorBody,
]

/**
 * The query of a location route: OpenCode's deep-object `location[directory]` and
 * `location[workspace]` (a plain `?directory=` is not read on these routes, as OpenCode).
 */
export const LocationQuery = {
  'location[directory]': Type.Optional(Type.String({ description: 'Absolute directory of the location' })),
  'location[workspace]': Type.Optional(Type.String({ description: 'Workspace id (wrk_…)', pattern: '^wrk' })),
}

/** The 400 of a route that takes a cursor: a bad cursor or any other bad input. */
export function cursorErrors(): Record<number, TSchema> {
  return { 400: Type.Union([ref(InvalidCursorErrorBody), ref(InvalidRequestErrorBody)]) }
}

/** The error responses every v2 route may answer, for `/doc`. */
export function v2Errors(extra: Record<number, TSchema> = {}): Record<number, TSchema> {
  return { 400: ref(InvalidRequestErrorBody), 401: ref(UnauthorizedErrorBody), ...extra }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name]
  return typeof value === 'string' && value !== '' ? decodeOnce(value) : undefined
}

function decodeOnce(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/**
 * The directory a location route names, unchecked: `location[directory]`, else
 * `x-opencode-directory` (URL-encoded accepted); undefined for the default. The query named twice
 * is a 400, not silently the default.
 */
export function requestedLocation(request: FastifyRequest): string | undefined {
  const fromQuery = (request.query as Record<string, unknown> | undefined)?.['location[directory]']
  if (fromQuery !== undefined && typeof fromQuery !== 'string')
    throw new InvalidRequestError('Expected a single location[directory]', {
      kind: 'Query',
      field: 'location[directory]',
    })
  return fromQuery !== undefined && fromQuery !== '' ? fromQuery : header(request, 'x-opencode-directory')
}

/**
 * The directory a location route names: a known workspace's (`location[workspace]` or
 * `x-opencode-workspace`, resolved by `lookup`), else `requestedLocation`, else the server's cwd.
 * A relative or missing directory is a 404 `LocationNotFoundError`, as OpenCode 2.1; a NUL byte
 * a 400 (OpenCode: 500).
 */
export async function locationDirectory(
  request: FastifyRequest,
  cwd: string,
  lookup?: (workspaceID: string) => string | undefined,
): Promise<string> {
  const workspace = locationWorkspace(request)
  const fromWorkspace = workspace !== undefined ? lookup?.(workspace) : undefined
  if (fromWorkspace !== undefined) return fromWorkspace
  const raw = requestedLocation(request)
  if (raw === undefined) return cwd
  if (raw.includes('\0'))
    throw new InvalidRequestError('directory must not contain NUL characters', {
      kind: 'Query',
      field: 'location[directory]',
    })
  try {
    return await checkDirectory(raw, 'Query')
  } catch {
    throw new LocationNotFoundError(raw)
  }
}

/** The workspace a location route names (`location[workspace]`, else `x-opencode-workspace`). */
export function locationWorkspace(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown> | undefined
  const fromQuery = query?.['location[workspace]']
  const value = typeof fromQuery === 'string' && fromQuery !== '' ? fromQuery : header(request, 'x-opencode-workspace')
  if (value !== undefined && !value.startsWith('wrk')) {
    throw new InvalidRequestError(`Expected a string starting with "wrk", got ${JSON.stringify(value)}`, {
      kind: 'Query',
      field: 'location[workspace]',
    })
  }
  return value
}

export interface LocationInfoValue {
  directory: string
  workspaceID?: string
  project: { id: string; directory: string }
}

/** `LocationInfo` of an instance, as v2 routes answer it. */
export function locationOf(instance: Instance, workspaceID?: string): LocationInfoValue {
  return {
    directory: instance.directory,
    ...(workspaceID ? { workspaceID } : {}),
    project: { id: instance.project.id, directory: instance.project.id === 'global' ? '/' : instance.project.worktree },
  }
}

/** `{ location, data }`: the envelope of routes tied to a location. */
export function locationEnvelope<T>(request: FastifyRequest, data: T): { location: LocationInfoValue; data: T } {
  return { location: locationOf(request.instance, locationWorkspace(request)), data }
}

/** The response schema of a location route: `{ location: LocationInfo, data }`. */
export function LocationEnvelope<T extends TSchema>(data: T) {
  return Type.Object({ location: ref(LocationInfo), data }, { additionalProperties: false })
}

/** `{ location: { directory }, data }`: OpenCode 2.1's envelope of routes tied to a location. */
export function publicLocationEnvelope<T>(
  request: FastifyRequest,
  data: T,
): { location: { directory: string }; data: T } {
  return { location: { directory: request.instance.directory }, data }
}

/** The response schema of an OpenCode 2.1 location route: `{ location: Location.PublicRef, data }`. */
export function PublicLocationEnvelope<T extends TSchema>(data: T) {
  return Type.Object({ location: ref(LocationPublicRef), data }, { additionalProperties: false })
}

/** The response schema of a session route: `{ data }`. */
export function DataEnvelope<T extends TSchema>(data: T) {
  return Type.Object({ data }, { additionalProperties: false })
}

/** An opaque cursor: base64url of a JSON object. */
export function encodeCursor(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/**
 * The object inside a cursor a client sent back; `InvalidCursorError` for anything that is not
 * one of ours (`check` says whether the decoded object has the expected fields).
 */
export function decodeCursor<T>(
  raw: string,
  check: (value: Record<string, unknown>) => value is Record<string, unknown> & T,
): T {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'))
  } catch {
    throw new InvalidCursorError()
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !check(value as Record<string, unknown>)) {
    throw new InvalidCursorError()
  }
  return value as T
}

/** Live-only v2 events (`session.next.text.delta` …): never logged as durable, and only `/api/event` carries them. */
export function isLiveOnlyEvent(type: string): boolean {
  return type.startsWith('session.next.') && type.endsWith('.delta')
}

/** The shape version OpenCode gives a durable v2 event: 2 for the step ends, 1 for the rest. */
export function durableVersion(type: string): number {
  return type === 'session.next.step.ended' || type === 'session.next.step.failed' ? 2 : 1
}
