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
 * Fastify's own Ajv and fast-json-stringify compilers, deferred to each route's first request:
 * start-up then does not grow with the number of routes. Tests compile eagerly, so a broken
 * schema still fails there.
 */
export function lazyCompilers(): { buildValidator: Factory; buildSerializer: Factory } {
  const validators = (AjvCompiler as unknown as () => Factory)()
  const serializers = (SerializerCompiler as unknown as () => Factory)()
  return {
    buildValidator: (external, options) => {
      const compile = validators(external, options)
      return (route) => lazyValidator(() => compile(route) as never)
    },
    buildSerializer: (external, options) => {
      const compile = serializers(external, options)
      return (route) => lazySerializer(() => compile(route) as never)
    },
  }
}
