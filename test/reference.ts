// Checks answers against OpenCode 1.18.34's own OpenAPI document (shared/reference beside the repo).
import Ajv2020Module from 'ajv/dist/2020.js'
import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const documentPath = fileURLToPath(new URL('../../../shared/reference/opencode-1.18.34-openapi.json', import.meta.url))
// ajv is CommonJS: its class is the default export's `default` under NodeNext.
const Ajv2020 = Ajv2020Module.default
let validator: { ajv: InstanceType<typeof Ajv2020>; document: any } | undefined

function load() {
  if (validator) return validator
  const document = JSON.parse(readFileSync(documentPath, 'utf8'))
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false })
  ajv.addSchema(document, 'reference')
  return (validator = { ajv, document })
}

function pointer(...keys: string[]): string {
  return keys.map((key) => key.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')
}

/** The reference's operation at `method path` (path with `{param}` names as in the document). */
export function referenceOperation(method: string, path: string): any {
  const operation = load().document.paths[path]?.[method.toLowerCase()]
  if (!operation) throw new Error(`the reference has no ${method} ${path}`)
  return operation
}

/**
 * Asserts that `body` is what the reference document allows for `method path` answering
 * `status` (JSON responses only).
 */
export function expectReferenceShape(method: string, path: string, status: number, body: unknown): void {
  const operation = referenceOperation(method, path)
  if (!operation.responses?.[String(status)]?.content?.['application/json']) {
    throw new Error(`the reference has no JSON ${status} answer for ${method} ${path}`)
  }
  const { ajv } = load()
  const id = `reference#/${pointer('paths', path, method.toLowerCase(), 'responses', String(status), 'content', 'application/json', 'schema')}`
  const validate = ajv.getSchema(id) ?? ajv.compile({ $ref: id })
  const ok = validate(body)
  expect(ok, `${method} ${path} ${status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 800)}`).to.equal(true)
}
