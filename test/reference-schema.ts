// Checks answers against the response schemas of OpenCode's own OpenAPI document
// (shared/reference/opencode-1.18.34-openapi.json), so a shape that drifts from OpenCode fails.
import Ajv2020Module from 'ajv/dist/2020.js'
import { expect } from 'chai'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** The document sits in `shared/reference/` beside the checkout (or above it). */
function referencePath(): string {
  for (let dir = dirname(new URL(import.meta.url).pathname); ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'reference', 'opencode-1.18.34-openapi.json')
    if (existsSync(candidate)) return candidate
    if (dirname(dir) === dir) throw new Error('shared/reference/opencode-1.18.34-openapi.json not found above the tests')
  }
}
// The CommonJS module's default export is the class.
const Ajv2020 = (Ajv2020Module as unknown as { default: typeof Ajv2020Module.default }).default
let ajv: InstanceType<typeof Ajv2020> | undefined

function compiler(): InstanceType<typeof Ajv2020> {
  if (!ajv) {
    ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false })
    ajv.addSchema(JSON.parse(readFileSync(referencePath(), 'utf8')), 'reference')
  }
  return ajv
}

const pointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1')

/** Asserts that `body` is what OpenCode's document allows `method path` to answer with `status`. */
export function expectReferenceShape(method: string, path: string, status: number, body: unknown): void {
  const ref = `reference#/paths/${pointer(path)}/${method.toLowerCase()}/responses/${status}/content/${pointer('application/json')}/schema`
  const validate = compiler().getSchema(ref) ?? compiler().compile({ $ref: ref })
  const ok = validate(body)
  expect(ok, `${method} ${path} ${status} does not match the reference: ${JSON.stringify(validate.errors)}\n${JSON.stringify(body).slice(0, 2000)}`).to.equal(true)
}
