import type { FormAnswerValue, FormFieldInfo } from './schemas.js'

type Value = FormAnswerValue[string]
type Field<T extends FormFieldInfo['type']> = Extract<FormFieldInfo, { type: T }>

// The messages are OpenCode 2.1's; each names the field's key.

/** A bound as a number; OpenCode's "NaN" (or none) bounds nothing. */
function bound(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  return Number.isNaN(number) ? undefined : number
}

/** Whether every condition holds; a condition on an unanswered field never does. */
function active(field: FormFieldInfo, answer: FormAnswerValue): boolean {
  if (field.type === 'external') return true
  return (field.when ?? []).every(({ key, op, value }) => {
    const given = Object.hasOwn(answer, key) ? answer[key] : undefined
    if (given === undefined) return false
    const equal = Array.isArray(given) ? (given as unknown[]).includes(value) : given === value
    return op === 'eq' ? equal : !equal
  })
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

function formatError(format: Field<'string'>['format'], value: string): string | undefined {
  switch (format) {
    case 'email':
      return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) ? undefined : 'Expected email'
    case 'uri':
      return URL.canParse(value) ? undefined : 'Expected URI'
    case 'date': {
      const match = DATE.exec(value)
      const date = match ? new Date(`${value}T00:00:00Z`) : undefined
      const valid = date && !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value)
      return valid ? undefined : 'Expected date'
    }
    case 'date-time':
      return Number.isNaN(Date.parse(value)) ? 'Expected date-time' : undefined
    default:
      return undefined
  }
}

function stringError(field: Field<'string'>, value: Value): string | undefined {
  if (typeof value !== 'string') return 'Expected string for form field'
  if (field.minLength !== undefined && value.length < field.minLength) return 'Form field is too short'
  if (field.maxLength !== undefined && value.length > field.maxLength) return 'Form field is too long'
  if (field.pattern !== undefined && !new RegExp(field.pattern, 'u').test(value))
    return 'Form field does not match pattern'
  const format = formatError(field.format, value)
  if (format) return `${format} for form field`
  if (field.options && !field.custom && !field.options.some((option) => option.value === value))
    return 'Invalid option for form field'
  return undefined
}

function numberError(field: Field<'number' | 'integer'>, value: Value): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'Expected number for form field'
  if (field.type === 'integer' && !Number.isInteger(value)) return 'Expected integer for form field'
  const minimum = bound(field.minimum)
  const maximum = bound(field.maximum)
  if (minimum !== undefined && value < minimum) return 'Form field is too small'
  if (maximum !== undefined && value > maximum) return 'Form field is too large'
  return undefined
}

function multiselectError(field: Field<'multiselect'>, value: Value): string | undefined {
  if (!Array.isArray(value)) return 'Expected string array for form field'
  if (field.minItems !== undefined && value.length < field.minItems) return 'Too few selections for form field'
  if (field.maxItems !== undefined && value.length > field.maxItems) return 'Too many selections for form field'
  if (!field.custom && value.some((item) => !field.options.some((option) => option.value === item)))
    return 'Invalid option for form field'
  return undefined
}

/** What is wrong with one given value, without the key. */
function valueError(field: FormFieldInfo, value: Value): string | undefined {
  switch (field.type) {
    case 'string':
      return stringError(field, value)
    case 'number':
    case 'integer':
      return numberError(field, value)
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'Expected boolean for form field'
    case 'multiselect':
      return multiselectError(field, value)
    case 'external':
      return undefined
  }
}

const empty = (value: Value | undefined) =>
  value === undefined || value === '' || (Array.isArray(value) && value.length === 0)

/**
 * The first thing wrong with an answer, as OpenCode 2.1 words it (`Unknown form field: x`,
 * `Missing required form field: name` …), or undefined when the form accepts it.
 */
export function answerError(fields: FormFieldInfo[], answer: FormAnswerValue): string | undefined {
  const keys = new Set(fields.map((field) => field.key))
  const unknown = Object.keys(answer).find((key) => !keys.has(key))
  if (unknown !== undefined) return `Unknown form field: ${unknown}`
  for (const field of fields) {
    const value = Object.hasOwn(answer, field.key) ? answer[field.key] : undefined
    if (!active(field, answer)) {
      if (value !== undefined) return `Form field is not active: ${field.key}`
      continue
    }
    if (field.type === 'external') {
      if (value !== true) return `External form field must be acknowledged: ${field.key}`
      continue
    }
    if (field.required && empty(value)) return `Missing required form field: ${field.key}`
    if (value === undefined) continue
    const error = valueError(field, value)
    if (error) return `${error}: ${field.key}`
  }
  return undefined
}
