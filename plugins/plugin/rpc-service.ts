// Dispatching `POST /api/rpc/{rpcID}/{method}` to the RPC a plugin serves at the location.
import type { FastifyBaseLogger } from 'fastify'
import type { TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { isNamedError, type Instance, type NamedError } from '../../sdk/index.js'
import { RpcError, RpcInternalError, RpcSources, type RpcRegistration } from '../../sdk/rpc.js'
import type { InventoryKernel } from './inventory.js'

/** The first problems of `value` against `schema`, in one line; undefined when it matches. */
function problems(schema: TSchema, value: unknown): string | undefined {
  if (Value.Check(schema, value)) return undefined
  const found = [...Value.Errors(schema, value)]
    .slice(0, 3)
    .map((error) => `${error.message}${error.instancePath ? ` at ${error.instancePath}` : ''}`)
  return found.join('; ') || 'does not match the schema'
}

const has = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key)

export class RpcService {
  constructor(
    private readonly kernel: InventoryKernel,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** The RPC `id` served at `instance`: the last registration of that id. */
  async find(instance: Instance, id: string): Promise<RpcRegistration | undefined> {
    let found: RpcRegistration | undefined
    for (const source of this.kernel.extensions.get(RpcSources)) {
      for (const registration of await source.rpcs(instance))
        if (registration.definition.id === id) found = registration
    }
    return found
  }

  /**
   * Calls `method` of RPC `id` with `input`: its answer, or an `RpcError` (400: unknown RPC or
   * method, invalid input, an error the handler raised on purpose) or `RpcInternalError` (500: the
   * handler failed or answered what its output schema refuses; the details go to the log).
   */
  async call(instance: Instance, id: string, method: string, input: unknown, signal: AbortSignal): Promise<unknown> {
    const registration = await this.find(instance, id)
    if (!registration) throw new RpcError('rpc.unavailable', `RPC is unavailable: ${id}`)
    const { definition, handlers } = registration
    const spec = has(definition.methods, method) ? definition.methods[method] : undefined
    const handler = has(handlers, method) ? handlers[method] : undefined
    if (!spec || typeof handler !== 'function')
      throw new RpcError('rpc.method_not_found', `Unknown RPC method: ${id}.${method}`)
    const invalid = spec.input && problems(spec.input, input)
    if (invalid) throw new RpcError('rpc.invalid_input', `Invalid RPC input: ${invalid}`)
    let output: unknown
    try {
      output = await handler(input, {
        instance,
        signal,
        error: (type, message, data) => new RpcError(type, message, data),
      })
    } catch (error) {
      throw this.handlerFailure(registration, method, error)
    }
    const wrong = spec.output && problems(spec.output, output)
    if (wrong) {
      this.log.error({ rpc: id, method, problem: wrong }, 'RPC handler answered what its output schema refuses')
      throw new RpcInternalError('rpc.invalid_output', `Invalid RPC output: ${wrong}`)
    }
    return output
  }

  /** What a handler's throw becomes: its declared `RpcError` as it is, anything else a logged 500. */
  private handlerFailure(registration: RpcRegistration, method: string, error: unknown): NamedError {
    const { id } = registration.definition
    const declared = registration.definition.methods[method]!.errors
    // By name, not `instanceof`: a plugin may bundle its own copy of the SDK.
    if (isNamedError(error) && error.name === 'RpcError' && typeof error.data.type === 'string') {
      const { type, data } = error.data
      const schema = declared && has(declared, type) ? declared[type] : undefined
      if (!declared || (schema && (data === undefined || Value.Check(schema, data)))) return error
      this.log.error({ rpc: id, method, type }, 'RPC handler raised an error type it does not declare, or bad data')
    } else {
      this.log.error({ err: error, rpc: id, method, plugin: registration.plugin }, 'RPC handler failed')
    }
    return new RpcInternalError('rpc.internal', 'RPC call failed')
  }
}
