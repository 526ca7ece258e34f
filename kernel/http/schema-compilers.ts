import AjvCompiler from '@fastify/ajv-compiler'
import SerializerCompiler from '@fastify/fast-json-stringify-compiler'

type Compiler = (route: unknown) => unknown
type Factory = (externalSchemas: unknown, options: unknown) => Compiler

/** A validator compiled on its first call; it keeps Ajv's `errors`, which Fastify reads. */
function lazyValidator(build: () => ((data: unknown) => unknown) & { errors?: unknown }) {
  let validate: (((data: unknown) => unknown) & { errors?: unknown }) | undefined
  const wrapper = (data: unknown) => {
    validate ??= build()
    const result = validate(data)
    wrapper.errors = validate.errors
    return result
  }
  wrapper.errors = undefined as unknown
  return wrapper
}

type Validator = ((data: unknown, context?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown }

/** The first number that is not finite in a request part (one level of arrays deep), or undefined. */
function nonFiniteField(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  for (const [key, value] of Object.entries(data)) {
    const values: unknown[] = Array.isArray(value) ? value : [value]
    if (values.some((item) => typeof item === 'number' && !Number.isFinite(item))) return key
  }
  return undefined
}

/**
 * Ajv coerces the text "Infinity" or "1e309" to the number Infinity and then skips `minimum`/
 * `maximum` for it, so a non-finite number reached handlers and storage. Query strings, params
 * and headers are text: after coercion, any number in them must be finite, or the part fails
 * validation like an out-of-range number does.
 */
function finiteNumbersOnly(validate: Validator): Validator {
  const wrapper: Validator = (data, context) => {
    const result = context === undefined ? validate(data) : validate(data, context)
    wrapper.errors = validate.errors
    if (result !== true) return result
    const field = nonFiniteField(data)
    if (field === undefined) return result
    wrapper.errors = [
      {
        instancePath: `/${field}`,
        schemaPath: '#/properties',
        keyword: 'type',
        params: { type: 'number' },
        message: 'must be a finite number',
      },
    ]
    return false
  }
  if (validate.schemaEnv) wrapper.schemaEnv = validate.schemaEnv
  return wrapper
}

function lazySerializer(build: () => (data: unknown) => string) {
  let serialize: ((data: unknown) => string) | undefined
  return (data: unknown) => (serialize ??= build())(data)
}

/**
 * Fastify's own Ajv and fast-json-stringify compilers, with two changes: request bodies are
 * validated without type coercion (a number is not a title; query strings and params still
 * coerce, they are text), and with `lazy` each route compiles on its first request, so start-up
 * does not grow with the number of routes. Tests compile eagerly: a broken schema fails there.
 * Coerced parts accept finite numbers only (see `finiteNumbersOnly`).
 */
export function kernelCompilers(lazy: boolean): { buildValidator: Factory; buildSerializer: Factory } {
  const validators = (AjvCompiler as unknown as () => Factory)()
  const serializers = (SerializerCompiler as unknown as () => Factory)()
  return {
    buildValidator: (external, options) => {
      const base = options as { customOptions?: Record<string, unknown> }
      // Each Ajv instance is created on first need: creating one compiles every shared schema.
      let coercing: Compiler | undefined
      let strict: Compiler | undefined
      const compile = (route: unknown) => {
        if ((route as { httpPart?: string }).httpPart === 'body') {
          strict ??= validators(external, { ...base, customOptions: { ...base.customOptions, coerceTypes: false } })
          return strict(route)
        }
        coercing ??= validators(external, options)
        return finiteNumbersOnly(coercing(route) as Validator)
      }
      return (route) => (lazy ? lazyValidator(() => compile(route) as never) : compile(route))
    },
    buildSerializer: (external, options) => {
      const compile = serializers(external, options)
      return lazy ? (route) => lazySerializer(() => compile(route) as never) : compile
    },
  }
}
