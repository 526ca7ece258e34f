import { Type, type Static, type TProperties } from 'typebox'
import { named, ref, StringEnum } from '../../../sdk/index.js'

// OpenCode 2.1's forms. The field variants carry no `additionalProperties: false`: Ajv removes
// such properties while it tries each branch of a union, which would strip one variant's keys
// while checking another. Unknown keys are dropped when a form is made (`cleanField`), as 2.1 does.

const Text = (maxLength: number) => Type.String({ maxLength })
/** OpenCode writes non-finite bounds as these strings. */
const Bound = Type.Union([Type.Number(), StringEnum(['Infinity', '-Infinity', 'NaN'])])

export const FormID = named('Form.ID', Type.String({ pattern: '^frm_', maxLength: 100 }))

export const FormOption = named(
  'Form.Option',
  Type.Object(
    { value: Text(10_000), label: Text(10_000), description: Type.Optional(Text(10_000)) },
    { additionalProperties: false },
  ),
)

export const FormWhen = named(
  'Form.When',
  Type.Object(
    {
      key: Text(200),
      op: StringEnum(['eq', 'neq']),
      value: Type.Union([Text(10_000), Type.Number(), Type.Boolean()]),
    },
    { additionalProperties: false },
  ),
)

const common = {
  key: Text(200),
  title: Type.Optional(Text(10_000)),
  description: Type.Optional(Text(100_000)),
  required: Type.Optional(Type.Boolean()),
  hidden: Type.Optional(Type.Boolean()),
  when: Type.Optional(Type.Array(ref(FormWhen), { maxItems: 100 })),
}
const Options = Type.Array(ref(FormOption), { maxItems: 1000 })
const field = <const T extends string, P extends TProperties>(type: T, properties: P) =>
  Type.Object({ ...common, type: Type.Literal(type), ...properties })

export const FormStringField = named(
  'Form.StringField',
  field('string', {
    format: Type.Optional(StringEnum(['email', 'uri', 'date', 'date-time'])),
    minLength: Type.Optional(Type.Integer({ minimum: 0 })),
    maxLength: Type.Optional(Type.Integer({ minimum: 0 })),
    pattern: Type.Optional(Text(1000)),
    placeholder: Type.Optional(Text(10_000)),
    default: Type.Optional(Text(100_000)),
    options: Type.Optional(Options),
    custom: Type.Optional(Type.Boolean()),
  }),
)
const numeric = { minimum: Type.Optional(Bound), maximum: Type.Optional(Bound), default: Type.Optional(Bound) }
export const FormNumberField = named('Form.NumberField', field('number', numeric))
export const FormIntegerField = named('Form.IntegerField', field('integer', numeric))
export const FormBooleanField = named('Form.BooleanField', field('boolean', { default: Type.Optional(Type.Boolean()) }))
export const FormMultiselectField = named(
  'Form.MultiselectField',
  field('multiselect', {
    options: Options,
    minItems: Type.Optional(Type.Integer({ minimum: 0 })),
    maxItems: Type.Optional(Type.Integer({ minimum: 0 })),
    custom: Type.Optional(Type.Boolean()),
    default: Type.Optional(Type.Array(Text(10_000), { maxItems: 1000 })),
  }),
)
export const FormExternalField = named(
  'Form.ExternalField',
  Type.Object({
    key: Text(200),
    type: Type.Literal('external'),
    url: Text(10_000),
    title: Type.Optional(Text(10_000)),
    description: Type.Optional(Text(100_000)),
  }),
)

export const FormField = named(
  'Form.Field',
  Type.Union([
    ref(FormStringField),
    ref(FormNumberField),
    ref(FormIntegerField),
    ref(FormBooleanField),
    ref(FormMultiselectField),
    ref(FormExternalField),
  ]),
)

export const FormMetadata = named('Form.Metadata', Type.Object({}, { additionalProperties: true }))

export const FormValue = named(
  'Form.Value',
  Type.Union([Text(100_000), Type.Number(), Type.Boolean(), Type.Array(Text(100_000), { maxItems: 1000 })]),
)
export const FormAnswer = named('Form.Answer', Type.Record(Type.String(), ref(FormValue), { maxProperties: 1000 }))

const Fields = Type.Array(ref(FormField), { minItems: 1, maxItems: 200 })
const infoFields = {
  id: ref(FormID),
  sessionID: Type.String(),
  title: Type.String(),
  metadata: Type.Optional(ref(FormMetadata)),
  fields: Fields,
}

export const FormInfo = named('Form.Info', Type.Object(infoFields, { additionalProperties: false }))

export const FormState = named(
  'Form.State',
  Type.Union([
    Type.Object({ status: Type.Literal('pending') }, { additionalProperties: false }),
    Type.Object({ status: Type.Literal('answered'), answer: ref(FormAnswer) }, { additionalProperties: false }),
    Type.Object(
      { status: Type.Literal('cancelled'), message: Type.Optional(Type.String()) },
      { additionalProperties: false },
    ),
  ]),
)

export const FormDetail = named(
  'Form.Detail',
  Type.Object({ ...infoFields, state: ref(FormState) }, { additionalProperties: false }),
)

export const FormCreateInput = Type.Object({
  id: Type.Optional(Type.Union([ref(FormID), Type.Null()])),
  title: Text(10_000),
  metadata: Type.Optional(ref(FormMetadata)),
  fields: Fields,
})

export const FormReplyInput = Type.Object({ answer: ref(FormAnswer) })

export const FORM_SCHEMAS = [
  FormID,
  FormOption,
  FormWhen,
  FormStringField,
  FormNumberField,
  FormIntegerField,
  FormBooleanField,
  FormMultiselectField,
  FormExternalField,
  FormField,
  FormMetadata,
  FormValue,
  FormAnswer,
  FormInfo,
  FormState,
  FormDetail,
]

export type FormFieldInfo = Static<typeof FormField>
export type FormInfoValue = Static<typeof FormInfo>
export type FormAnswerValue = Static<typeof FormAnswer>
export type FormStateValue = Static<typeof FormState>
export type FormDetailValue = Static<typeof FormDetail>
