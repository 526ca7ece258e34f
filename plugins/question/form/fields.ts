import { InvalidRequestError } from '../../../sdk/index.js'
import type { FormFieldInfo } from './schemas.js'

const COMMON = ['key', 'title', 'description', 'required', 'hidden', 'when', 'type']
const NUMERIC = [...COMMON, 'minimum', 'maximum', 'default']
/** The keys each field type has; a client's other keys are dropped, as OpenCode 2.1 does. */
const KEYS: Record<FormFieldInfo['type'], string[]> = {
  string: [...COMMON, 'format', 'minLength', 'maxLength', 'pattern', 'placeholder', 'default', 'options', 'custom'],
  number: NUMERIC,
  integer: NUMERIC,
  boolean: [...COMMON, 'default'],
  multiselect: [...COMMON, 'options', 'minItems', 'maxItems', 'custom', 'default'],
  external: ['key', 'type', 'url', 'title', 'description'],
}

function cleanField(field: FormFieldInfo): FormFieldInfo {
  const source = field as Record<string, unknown>
  const clean: Record<string, unknown> = {}
  for (const key of KEYS[field.type]) if (source[key] !== undefined) clean[key] = source[key]
  return clean as FormFieldInfo
}

const invalid = (message: string) => new InvalidRequestError(message, { field: 'fields' })

/** The type a condition on `field` compares with. */
function conditionType(field: FormFieldInfo): 'string' | 'number' | 'boolean' {
  if (field.type === 'number' || field.type === 'integer') return 'number'
  return field.type === 'boolean' ? 'boolean' : 'string'
}

/** A condition names an earlier field that has a value, and a value of that field's type. */
function checkConditions(field: FormFieldInfo, earlier: Map<string, FormFieldInfo>): void {
  if (field.type === 'external') return
  for (const condition of field.when ?? []) {
    const target = earlier.get(condition.key)
    if (!target || target.type === 'external')
      throw invalid(`Form field condition must reference an earlier field: ${field.key} -> ${condition.key}`)
    const expected = conditionType(target)
    if (typeof condition.value !== expected)
      throw invalid(`Form field condition value must be a ${expected}: ${field.key} -> ${condition.key}`)
  }
}

/**
 * The fields of a new form, checked (unique keys, conditions on earlier fields, patterns that
 * compile) and without unknown keys. InvalidRequestError otherwise.
 */
export function checkFields(fields: FormFieldInfo[]): FormFieldInfo[] {
  const earlier = new Map<string, FormFieldInfo>()
  return fields.map((raw) => {
    const field = cleanField(raw)
    if (earlier.has(field.key)) throw invalid(`Duplicate form field key: ${field.key}`)
    checkConditions(field, earlier)
    if (field.type === 'string' && field.pattern !== undefined) {
      // OpenCode 2.1 accepts a pattern that does not compile; we refuse it here rather than fail each reply.
      try {
        new RegExp(field.pattern, 'u')
      } catch {
        throw invalid(`Invalid pattern for form field: ${field.key}`)
      }
    }
    earlier.set(field.key, field)
    return field
  })
}
