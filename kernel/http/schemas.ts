import type { FastifyInstance } from 'fastify'
import { Type, type Static, type TSchema, type TUnsafe } from 'typebox'

/** A TypeBox schema with a stable `$id`, e.g. `Session.Info`. */
export type NamedSchema = TSchema & { $id: string }

/** Gives a schema its stable `$id`, typed so `ref()` and `registerSchemas()` accept it. */
export function named<T extends TSchema>(id: string, schema: T): T & { $id: string } {
  return Object.assign(schema, { $id: id })
}

/**
 * A `$ref` to a registered schema that keeps its static type, so a route's handler is typed
 * while Fastify's Ajv resolves the shared schema by `$id`.
 */
export function ref<T extends NamedSchema>(schema: T): TUnsafe<Static<T>> {
  const reference = Type.Unsafe<Static<T>>({ $ref: schema.$id })
  // Not enumerable: invisible to Ajv and JSON, but lets /doc include a schema that only an
  // event refers to.
  Object.defineProperty(reference, REF_TARGET, { value: schema, enumerable: false })
  return reference
}

const REF_TARGET = Symbol.for('opencode-kernel.refTarget')

/** The named schema a `ref()` points at, when it was made by `ref()`. */
export function refTarget(schema: object): NamedSchema | undefined {
  return (schema as Record<symbol, NamedSchema | undefined>)[REF_TARGET]
}

/**
 * Registers shared schemas on the app once. Registering the same object again is a no-op;
 * another schema under a taken `$id` is an error naming the id.
 */
export function registerSchemas(app: FastifyInstance, schemas: readonly NamedSchema[]): void {
  for (const schema of schemas) {
    const existing = app.getSchema(schema.$id)
    if (existing === schema) continue
    if (existing && JSON.stringify(existing) === JSON.stringify(schema)) continue
    if (existing) throw new Error(`schema "${schema.$id}" is already registered with a different shape`)
    app.addSchema(schema)
  }
}

/** A string that must be one of `values`, documented and validated as a JSON-schema `enum`. */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: Record<string, unknown> = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}

/** The error body every route answers with: `{ name, data: { message } }`. */
export const ErrorBody = named(
  'Error',
  Type.Object({
    name: Type.String(),
    data: Type.Object({ message: Type.String() }, { additionalProperties: true }),
  }),
)

export const BadRequestErrorBody = named(
  'BadRequestError',
  Type.Object({
    name: Type.Literal('BadRequest'),
    data: Type.Object(
      {
        message: Type.String(),
        kind: Type.Optional(
          Type.Union([
            Type.Literal('Params'),
            Type.Literal('Headers'),
            Type.Literal('Query'),
            Type.Literal('Body'),
            Type.Literal('Payload'),
          ]),
        ),
      },
      { additionalProperties: true },
    ),
  }),
)

export const NotFoundErrorBody = named(
  'NotFoundError',
  Type.Object({
    name: Type.Literal('NotFoundError'),
    data: Type.Object({ message: Type.String() }, { additionalProperties: true }),
  }),
)

export const KERNEL_SCHEMAS: readonly NamedSchema[] = [ErrorBody, BadRequestErrorBody, NotFoundErrorBody]

/**
 * A request body the client may leave out: Fastify validates a missing body as `null`, so the
 * route accepts `schema` or null (the handler then sees `undefined` or `null`).
 */
export function optionalBody<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()], { description: 'May be left out' })
}

/** Query parameters every instance route accepts, documented once. */
export const InstanceQuery = {
  directory: Type.Optional(Type.String({ description: 'Project directory (absolute path)' })),
  workspace: Type.Optional(Type.String()),
}
