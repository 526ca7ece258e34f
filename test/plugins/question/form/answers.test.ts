import { expect } from 'chai'
import { answerError } from '../../../../plugins/question/form/answers.js'
import { checkFields } from '../../../../plugins/question/form/fields.js'
import type { FormFieldInfo } from '../../../../plugins/question/form/schemas.js'

const FIELDS: FormFieldInfo[] = [
  { key: 'name', type: 'string', required: true, minLength: 2, maxLength: 5 },
  { key: 'email', type: 'string', format: 'email' },
  { key: 'code', type: 'string', pattern: '^[a-z]+$' },
  { key: 'color', type: 'string', options: [{ value: 'r', label: 'Red' }] },
  { key: 'n', type: 'number', minimum: 1, maximum: 10 },
  { key: 'i', type: 'integer', maximum: 'Infinity' },
  { key: 'b', type: 'boolean' },
  {
    key: 'tags',
    type: 'multiselect',
    options: ['a', 'b', 'c'].map((value) => ({ value, label: value.toUpperCase() })),
    minItems: 1,
    maxItems: 2,
  },
  { key: 'ext', type: 'external', url: 'https://example.com' },
  { key: 'extra', type: 'string', required: true, when: [{ key: 'b', op: 'eq', value: true }] },
  { key: 'h', type: 'string', hidden: true, required: true },
]
const VALID = { name: 'ok', ext: true, h: 'x' }

describe('question: form answers', () => {
  it('accepts a complete answer and words each problem as OpenCode 2.1 does', () => {
    expect(answerError(FIELDS, VALID)).to.equal(undefined)
    const cases: [Record<string, unknown>, string][] = [
      [{ bogus: 1, name: 'x' }, 'Unknown form field: bogus'],
      [{}, 'Missing required form field: name'],
      [{ name: '' }, 'Missing required form field: name'],
      [{ name: 'x' }, 'Form field is too short: name'],
      [{ name: 'toolong' }, 'Form field is too long: name'],
      [{ name: 5 }, 'Expected string for form field: name'],
      [{ ...VALID, email: 'nope' }, 'Expected email for form field: email'],
      [{ ...VALID, code: 'ABC' }, 'Form field does not match pattern: code'],
      [{ ...VALID, color: 'g' }, 'Invalid option for form field: color'],
      [{ ...VALID, n: 0 }, 'Form field is too small: n'],
      [{ ...VALID, n: 11 }, 'Form field is too large: n'],
      [{ ...VALID, n: '5' }, 'Expected number for form field: n'],
      [{ ...VALID, i: 1.5 }, 'Expected integer for form field: i'],
      [{ ...VALID, b: 'true' }, 'Expected boolean for form field: b'],
      [{ ...VALID, tags: [] }, 'Too few selections for form field: tags'],
      [{ ...VALID, tags: ['a', 'b', 'c'] }, 'Too many selections for form field: tags'],
      [{ ...VALID, tags: ['z'] }, 'Invalid option for form field: tags'],
      [{ ...VALID, tags: 'a' }, 'Expected string array for form field: tags'],
      [{ name: 'ok', h: 'x' }, 'External form field must be acknowledged: ext'],
      [{ ...VALID, ext: false }, 'External form field must be acknowledged: ext'],
      [{ ...VALID, b: true }, 'Missing required form field: extra'],
      [{ ...VALID, b: false, extra: 'y' }, 'Form field is not active: extra'],
      [{ name: 'ok', ext: true }, 'Missing required form field: h'],
    ]
    for (const [answer, message] of cases)
      expect(answerError(FIELDS, answer as never), JSON.stringify(answer)).to.equal(message)
    expect(answerError(FIELDS, { ...VALID, b: true, extra: 'y', tags: ['a', 'a'], i: 7 })).to.equal(undefined)
  })

  it('checks the formats and conditions on selections', () => {
    const fields: FormFieldInfo[] = [
      { key: 'u', type: 'string', format: 'uri' },
      { key: 'd', type: 'string', format: 'date' },
      { key: 'dt', type: 'string', format: 'date-time' },
      { key: 'm', type: 'multiselect', options: [], custom: true },
      { key: 'w', type: 'number', when: [{ key: 'm', op: 'eq', value: 'a' }] },
      { key: 'v', type: 'number', when: [{ key: 'm', op: 'neq', value: 'a' }] },
    ]
    expect(answerError(fields, { u: 'nope' })).to.equal('Expected URI for form field: u')
    expect(answerError(fields, { d: '2020-13-01' })).to.equal('Expected date for form field: d')
    expect(answerError(fields, { d: '2020-02-30' })).to.equal('Expected date for form field: d')
    expect(answerError(fields, { dt: 'soon' })).to.equal('Expected date-time for form field: dt')
    expect(answerError(fields, { u: 'http://x', d: '2020-02-29', dt: '2020-01-01T00:00:00Z' })).to.equal(undefined)
    // A selection "equals" a value it contains; a condition on an unanswered field never holds.
    expect(answerError(fields, { m: ['a', 'b'], w: 1 })).to.equal(undefined)
    expect(answerError(fields, { m: ['a'], v: 1 })).to.equal('Form field is not active: v')
    expect(answerError(fields, { v: 1 })).to.equal('Form field is not active: v')
  })

  it('refuses duplicate keys, conditions on later or external fields or of the wrong type, and bad patterns', () => {
    const bad: [FormFieldInfo[], string][] = [
      [
        [
          { key: 'a', type: 'string' },
          { key: 'a', type: 'number' },
        ],
        'Duplicate form field key: a',
      ],
      [
        [{ key: 'w', type: 'number', when: [{ key: 'zzz', op: 'eq', value: 'x' }] }],
        'Form field condition must reference an earlier field: w -> zzz',
      ],
      [
        [
          { key: 's', type: 'external', url: 'u' },
          { key: 'w', type: 'number', when: [{ key: 's', op: 'eq', value: true }] },
        ],
        'Form field condition must reference an earlier field: w -> s',
      ],
      [
        [
          { key: 's', type: 'string' },
          { key: 'w', type: 'number', when: [{ key: 's', op: 'eq', value: 1 }] },
        ],
        'Form field condition value must be a string: w -> s',
      ],
      [
        [
          { key: 's', type: 'boolean' },
          { key: 'w', type: 'number', when: [{ key: 's', op: 'eq', value: 'x' }] },
        ],
        'Form field condition value must be a boolean: w -> s',
      ],
      [[{ key: 'p', type: 'string', pattern: '(' }], 'Invalid pattern for form field: p'],
    ]
    for (const [fields, message] of bad) expect(() => checkFields(fields)).to.throw(message)
    const cleaned = checkFields([{ key: 'a', type: 'boolean', bogus: 1, minLength: 3 } as unknown as FormFieldInfo])
    expect(cleaned).to.deep.equal([{ key: 'a', type: 'boolean' }])
  })
})
