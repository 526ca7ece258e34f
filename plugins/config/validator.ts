import AjvCompiler from '@fastify/ajv-compiler'
import type { FastifySchema } from 'fastify'
import { findNodeAtLocation, parseTree, type JSONPath } from 'jsonc-parser'
import { BadRequestError, type NamedSchema, type RequestPart } from '../../sdk/index.js'

/** Ajv's error objects, the part we read. */
interface AjvError {
  instancePath: string
  message?: string
  params?: Record<string, unknown>
}

type ValidateFunction = ((data: unknown) => boolean) & { errors?: AjvError[] | null }

/** What is wrong with a config value: where (as JSON path segments) and what. */
export interface ConfigProblem {
  path: JSONPath
  message: string
}

export interface StrictValidator {
  /** Undefined when `value` matches `schema`. */
  check(schema: object, value: unknown): ConfigProblem | undefined
  /** A Fastify route `validatorCompiler`: a failure answers 400 naming the field and the problem. */
  compile(route: { schema: FastifySchema; httpPart?: string }): (data: unknown) => true | { error: BadRequestError }
}

const PARTS: Record<string, RequestPart> = { body: 'Body', querystring: 'Query', params: 'Params', headers: 'Headers' }

const unescape = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~')

function segments(instancePath: string): JSONPath {
  if (instancePath === '') return []
  return instancePath
    .slice(1)
    .split('/')
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : unescape(segment)))
}

function errorPath(error: AjvError): JSONPath {
  const path = segments(error.instancePath)
  const missing = error.params?.missingProperty
  if (typeof missing === 'string') path.push(missing)
  return path
}

/** The most useful of Ajv's errors: the deepest one (inside `anyOf`, the branch that got furthest). */
function describe(errors: readonly AjvError[]): ConfigProblem {
  let best = errors[0]!
  for (const error of errors) if (errorPath(error).length > errorPath(best).length) best = error
  const params = best.params ?? {}
  const allowed = Array.isArray(params.allowedValues)
    ? params.allowedValues
    : 'allowedValue' in params
      ? [params.allowedValue]
      : undefined
  const expected = allowed ? ` (${allowed.map((value) => JSON.stringify(value)).join(', ')})` : ''
  const extra = typeof params.additionalProperty === 'string' ? ` ("${params.additionalProperty}")` : ''
  return { path: errorPath(best), message: `${best.message ?? 'is invalid'}${expected}${extra}` }
}

/** `mcp.local.command` style, for messages. */
export function formatPath(path: JSONPath): string {
  return path.map(String).join('.')
}

/**
 * A validator for config values that neither coerces nor strips (Fastify's default Ajv does both,
 * which would let `"username": 5` through as `"5"`), and knows the named config schemas.
 */
export function createStrictValidator(schemas: readonly NamedSchema[]): StrictValidator {
  const external = Object.fromEntries(schemas.map((schema) => [schema.$id, schema]))
  // Built on first use: compiling the config schemas costs more than the rest of start-up.
  let build: ((route: { schema: unknown }) => ValidateFunction) | undefined
  const compiled = new WeakMap<object, ValidateFunction>()
  const validator = (schema: object) => {
    let validate = compiled.get(schema)
    if (!validate) {
      build ??= (
        AjvCompiler as unknown as () => (
          external: unknown,
          options: unknown,
        ) => (route: { schema: unknown }) => ValidateFunction
      )()(external, {
        customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: true },
      })
      compiled.set(schema, (validate = build({ schema })))
    }
    return validate
  }
  return {
    check(schema, value) {
      const validate = validator(schema)
      if (validate(value)) return undefined
      return describe(validate.errors ?? [{ instancePath: '', message: 'is invalid' }])
    },
    compile({ schema, httpPart }) {
      const part = PARTS[httpPart ?? 'body'] ?? 'Body'
      return (data) => {
        const validate = validator(schema as object)
        if (validate(data)) return true
        const problem = describe(validate.errors ?? [{ instancePath: '', message: 'is invalid' }])
        const where = problem.path.length > 0 ? ` at "${formatPath(problem.path)}"` : ''
        return { error: new BadRequestError(`${part.toLowerCase()}${where}: ${problem.message}`, part) }
      }
    },
  }
}

/** The line and column (1-based) of `path` in a JSONC text, or of its nearest existing parent. */
export function locate(text: string, path: JSONPath): { line: number; column: number } | undefined {
  const root = parseTree(text, [], { allowTrailingComma: true })
  if (!root) return undefined
  for (let length = path.length; length >= 0; length--) {
    const node = findNodeAtLocation(root, path.slice(0, length))
    if (!node) continue
    // A property's value node: point at its key, where a reader looks.
    const target = node.parent?.type === 'property' ? node.parent : node
    let line = 1
    let lineStart = 0
    for (let i = 0; i < target.offset; i++) {
      if (text.charCodeAt(i) === 10) {
        line++
        lineStart = i + 1
      }
    }
    return { line, column: target.offset - lineStart + 1 }
  }
  return undefined
}
