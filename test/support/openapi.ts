// Checks answers against OpenCode's own OpenAPI document (1.18.34, copied to test/reference/), so a
// test fails when a shape drifts from what OpenCode clients expect.
//
//   expectMatchesReference('GET', '/vcs/status', 200, response.json())
//   expectMatchesReference('POST', '/experimental/session/{sessionID}/background', 200, false)
//
// `path` is the reference's templated path; a status the operation does not document fails too.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
// ajv comes with Fastify (@fastify/ajv-compiler); the 2020-12 dialect is the one OpenAPI 3.1 uses.
import * as Ajv2020Module from 'ajv/dist/2020.js'
import type { ValidateFunction } from 'ajv'
import { PACKAGE_ROOT } from '../../kernel/core/version.js'

export interface ReferenceOperation {
  method: string
  path: string
  operationId: string
}

const DOCUMENT_ID = 'https://opencode.ai/reference/opencode-1.18.34-openapi.json'

/** OpenCode 1.18.34's OpenAPI document. */
export const reference: {
  paths: Record<string, Record<string, any>>
  components: { schemas: Record<string, unknown> }
} = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'test', 'reference', 'opencode-1.18.34-openapi.json'), 'utf8'))

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']

/** Every operation of the reference document: method (upper case), templated path, operationId. */
export function referenceOperations(): ReferenceOperation[] {
  return Object.entries(reference.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        operationId: String(operation.operationId),
      })),
  )
}

type AjvInstance = {
  addSchema(schema: object): void
  compile(schema: object): ValidateFunction
  errorsText(errors: unknown): string
}
let ajv: AjvInstance | undefined
const validators = new Map<string, ValidateFunction>()

function validator(pointer: string): ValidateFunction {
  let validate = validators.get(pointer)
  if (validate) return validate
  if (!ajv) {
    const module = Ajv2020Module as unknown as { default: { default?: unknown } }
    const Ajv2020 = (module.default.default ?? module.default) as new (options: object) => AjvInstance
    // Not strict: the document carries OpenAPI keywords (`x-effect-stream`, `example`) Ajv does not know.
    ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false, validateSchema: false })
    ajv.addSchema({ ...reference, $id: DOCUMENT_ID })
  }
  validate = ajv.compile({ $ref: `${DOCUMENT_ID}#${pointer}` })
  validators.set(pointer, validate)
  return validate
}

const escape = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1')

/**
 * Throws unless the reference documents `status` for `method path` with a `mediaType` body and
 * `body` matches that schema. The error lists what does not match.
 */
export function expectMatchesReference(
  method: string,
  path: string,
  status: number,
  body: unknown,
  mediaType = 'application/json',
): void {
  const operation = reference.paths[path]?.[method.toLowerCase()]
  if (!operation) throw new Error(`The reference has no operation ${method.toUpperCase()} ${path}`)
  const response = operation.responses?.[String(status)]
  if (!response)
    throw new Error(
      `The reference does not document status ${status} for ${method.toUpperCase()} ${path} (it has ${Object.keys(operation.responses ?? {}).join(', ')})`,
    )
  if (!response.content?.[mediaType]?.schema)
    throw new Error(`The reference gives no ${mediaType} body for ${status} of ${method.toUpperCase()} ${path}`)
  const pointer = ['', 'paths', path, method.toLowerCase(), 'responses', String(status), 'content', mediaType, 'schema']
    .map(escape)
    .join('/')
  const validate = validator(pointer)
  if (!validate(body)) {
    throw new Error(
      `${method.toUpperCase()} ${path} ${status} does not match the reference: ${ajv!.errorsText(validate.errors)}\nbody: ${JSON.stringify(body).slice(0, 1000)}`,
    )
  }
}

/** Routes a hostile-input battery leaves out: they wait by design (streams, long polls) or end the process's state. */
export const LONG_LIVED_ROUTES: ReadonlySet<string> = new Set([
  'GET /event',
  'GET /global/event',
  'GET /api/event',
  'GET /api/session/{sessionID}/event',
  'GET /tui/control/next',
  'POST /global/dispose',
  'POST /instance/dispose',
])
