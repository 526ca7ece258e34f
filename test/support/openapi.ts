// Checks answers against OpenCode's own OpenAPI documents (1.18.34 and 2.1.2, copied to
// test/reference/), so a test fails when a shape drifts from what OpenCode clients expect.
//
//   expectMatchesReference('GET', '/vcs/status', 200, response.json())        // 1.18.34
//   expectMatches21('GET', '/api/shell/{id}', 200, response.json())           // 2.1.2
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

interface ReferenceDocument {
  paths: Record<string, Record<string, any>>
  components: { schemas: Record<string, unknown> }
}

const load = (file: string): ReferenceDocument =>
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'test', 'reference', file), 'utf8'))

/** OpenCode 1.18.34's OpenAPI document. */
export const reference = load('opencode-1.18.34-openapi.json')
/** OpenCode 2.1.2's OpenAPI document (its server's `GET /openapi.json`). */
export const reference21 = load('opencode-2.1.2-openapi.json')
const DOCUMENT_IDS = new Map<ReferenceDocument, string>([
  [reference, 'https://opencode.ai/reference/opencode-1.18.34-openapi.json'],
  [reference21, 'https://opencode.ai/reference/opencode-2.1.2-openapi.json'],
])

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']

/** Every operation of a reference document (1.18.34 by default): method (upper case), templated path, operationId. */
export function referenceOperations(document: ReferenceDocument = reference): ReferenceOperation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
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

function validator(document: ReferenceDocument, pointer: string): ValidateFunction {
  const id = DOCUMENT_IDS.get(document)!
  let validate = validators.get(id + pointer)
  if (validate) return validate
  if (!ajv) {
    const module = Ajv2020Module as unknown as { default: { default?: unknown } }
    const Ajv2020 = (module.default.default ?? module.default) as new (options: object) => AjvInstance
    // Not strict: the document carries OpenAPI keywords (`x-effect-stream`, `example`) Ajv does not know.
    ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false, validateSchema: false })
    for (const [document, id] of DOCUMENT_IDS) ajv.addSchema({ ...document, $id: id })
  }
  validate = ajv.compile({ $ref: `${id}#${pointer}` })
  validators.set(id + pointer, validate)
  return validate
}

const escape = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1')

/**
 * Throws unless OpenCode 1.18.34's document gives `status` for `method path` with a `mediaType` body
 * and `body` matches that schema. The error lists what does not match.
 */
export function expectMatchesReference(
  method: string,
  path: string,
  status: number,
  body: unknown,
  mediaType = 'application/json',
): void {
  expectMatchesDocument(reference, { method, path, status, body, mediaType })
}

/** The same check against OpenCode 2.1.2's document (paths as it writes them: `/api/...`). */
export function expectMatches21(
  method: string,
  path: string,
  status: number,
  body: unknown,
  mediaType = 'application/json',
): void {
  expectMatchesDocument(reference21, { method, path, status, body, mediaType })
}

function expectMatchesDocument(
  document: ReferenceDocument,
  {
    method,
    path,
    status,
    body,
    mediaType,
  }: { method: string; path: string; status: number; body: unknown; mediaType: string },
): void {
  const reference = document
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
  const validate = validator(document, pointer)
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
