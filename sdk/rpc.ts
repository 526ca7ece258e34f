// Plugin RPC: methods a plugin serves to clients at `POST /api/rpc/{rpcID}/{method}` (OpenCode
// 2.1's `rpc.call`), per location, with TypeBox schemas for their input, output and errors.
import type { Static, TSchema } from 'typebox'
import { defineExtensionPoint, type ExtensionRegistry } from '../kernel/core/extensions.js'
import type { Instance } from '../kernel/instances/instance.js'
import { TaggedError } from '../kernel/http/v2-conventions.js'

/** One method of an RPC: what it takes, what it answers, and the errors it may raise. */
export interface RpcMethod {
  /** Checked before the handler runs (400 `rpc.invalid_input`); absent: any input, `undefined` included. */
  input?: TSchema
  /** Checked after the handler returns (500 `rpc.invalid_output`: a bug of the plugin). */
  output?: TSchema
  /**
   * The error types the handler may raise with `context.error(type, message, data)`, each with the
   * schema of its `data`. Absent: any type. A type not listed is a bug of the plugin (500).
   */
  errors?: Record<string, TSchema>
}

/** An RPC: an id clients call it by, and its methods. */
export interface RpcDefinition<M extends Record<string, RpcMethod> = Record<string, RpcMethod>> {
  /** The `{rpcID}` of `POST /api/rpc/{rpcID}/{method}`, e.g. `bookmarks`. */
  id: string
  methods: M
}

/** Declares an RPC; `methods` keeps its literal type so handlers are typed from the schemas. */
export function defineRpc<const M extends Record<string, RpcMethod>>(definition: RpcDefinition<M>): RpcDefinition<M> {
  return definition
}

/**
 * What an RPC handler answers a client with on purpose: 400 `{ _tag: "RpcError", type, message, data? }`.
 * Create it with `context.error(type, message, data)` and throw it.
 */
export class RpcError extends TaggedError {
  readonly type: string
  constructor(type: string, message: string, data?: unknown) {
    super('RpcError', 400, message, { type, ...(data !== undefined ? { data } : {}) })
    this.type = type
  }
}

/** A failure of the RPC itself (the handler threw, or answered what its output schema refuses): 500. */
export class RpcInternalError extends TaggedError {
  readonly type: 'rpc.internal' | 'rpc.invalid_output'
  constructor(type: 'rpc.internal' | 'rpc.invalid_output', message: string) {
    super('RpcInternalError', 500, message, { type })
    this.type = type
  }
}

/** What a handler receives besides its input. */
export interface RpcCallContext {
  /** The location (project directory) the call names. */
  instance: Instance
  /** Aborted when the client goes away. */
  signal: AbortSignal
  /** An `RpcError` to throw: the client gets 400 with this `type`, `message` and `data`. */
  error(type: string, message: string, data?: unknown): RpcError
}

type InputOf<M extends RpcMethod> = M['input'] extends TSchema ? Static<M['input']> : unknown
type OutputOf<M extends RpcMethod> = M['output'] extends TSchema ? Static<M['output']> : unknown

/** One handler per method of `D`, typed from its schemas. */
export type RpcHandlers<D extends RpcDefinition> = {
  [K in keyof D['methods']]: (
    input: InputOf<D['methods'][K]>,
    context: RpcCallContext,
  ) => OutputOf<D['methods'][K]> | Promise<OutputOf<D['methods'][K]>>
}

/** An RPC served at a location: its definition and handlers, and the plugin serving it. */
export interface RpcRegistration {
  plugin: string
  definition: RpcDefinition
  handlers: Record<string, (input: unknown, context: RpcCallContext) => unknown>
}

/**
 * Where RPCs come from: `rpcs(instance)` lists those served at one location. For the same id,
 * the last registration found wins (sources in plugin registration order).
 */
export interface RpcSource {
  /** The plugin contributing (shown as `features.rpc` by `GET /api/plugin`). */
  plugin: string
  rpcs(instance: Instance): readonly RpcRegistration[] | Promise<readonly RpcRegistration[]>
}

export const RpcSources = defineExtensionPoint<RpcSource>('rpc.sources')

/**
 * Serves `definition` with `handlers` at every location (or those `at` accepts), on behalf of
 * `plugin`: `provideRpc(kernel, 'bookmarks', BookmarksRpc, { add: async (input, ctx) => ... })`.
 */
export function provideRpc<D extends RpcDefinition>(
  kernel: { readonly extensions: ExtensionRegistry },
  plugin: string,
  definition: D,
  handlers: RpcHandlers<D>,
  options: { at?: (instance: Instance) => boolean } = {},
): void {
  const registration: RpcRegistration = {
    plugin,
    definition,
    handlers: handlers as unknown as RpcRegistration['handlers'],
  }
  kernel.extensions.provide(RpcSources, plugin, {
    plugin,
    rpcs: (instance) => (!options.at || options.at(instance) ? [registration] : []),
  })
}
