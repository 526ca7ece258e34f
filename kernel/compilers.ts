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

function lazySerializer(build: () => (data: unknown) => string) {
  let serialize: ((data: unknown) => string) | undefined
  return (data: unknown) => (serialize ??= build())(data)
}

/**
 * Fastify's own Ajv and fast-json-stringify compilers, with two changes: request bodies are
 * validated without type coercion (a number is not a title; query strings and params still
 * coerce, they are text), and with `lazy` each route compiles on its first request, so start-up
 * does not grow with the number of routes. Tests compile eagerly: a broken schema fails there.
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
      const compilerFor = (route: unknown) =>
        (route as { httpPart?: string }).httpPart === 'body'
          ? (strict ??= validators(external, { ...base, customOptions: { ...base.customOptions, coerceTypes: false } }))
          : (coercing ??= validators(external, options))
      return (route) => (lazy ? lazyValidator(() => compilerFor(route)(route) as never) : compilerFor(route)(route))
    },
    buildSerializer: (external, options) => {
      const compile = serializers(external, options)
      return lazy ? (route) => lazySerializer(() => compile(route) as never) : compile
    },
  }
}
