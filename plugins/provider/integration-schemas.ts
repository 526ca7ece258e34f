// OpenCode 2.1's integrations (`/api/integration…`) and credentials (`/api/credential…`): views
// over the same providers, `ProviderOAuth` methods and stored credentials as v1.
import { StringEnum, named } from '../../sdk/index.js'
import { Type } from 'typebox'

const closed = { additionalProperties: false } as const
const Secret = Type.String({ minLength: 1, maxLength: 100_000 })
const Label = Type.String({ minLength: 1, maxLength: 200 })
const Metadata = Type.Record(Type.String(), Type.Unknown(), { maxProperties: 100 })

export const IntegrationInfo = named(
  'IntegrationInfo',
  Type.Object(
    {
      id: Type.String(),
      name: Type.String(),
      methods: Type.Array(
        Type.Union([
          Type.Object({ id: Type.String(), type: Type.Literal('oauth'), label: Type.String() }, closed),
          Type.Object(
            {
              id: Type.String(),
              type: Type.Literal('command'),
              label: Type.String(),
              command: Type.Array(Type.String()),
            },
            closed,
          ),
          Type.Object({ type: Type.Literal('key'), label: Type.Optional(Type.String()) }, closed),
          Type.Object({ type: Type.Literal('env'), names: Type.Array(Type.String()) }, closed),
        ]),
      ),
      connections: Type.Array(
        Type.Union([
          Type.Object(
            {
              type: Type.Literal('credential'),
              id: Type.String(),
              label: Type.String(),
              method: StringEnum(['key', 'oauth', 'external']),
            },
            closed,
          ),
          Type.Object({ type: Type.Literal('env'), name: Type.String() }, closed),
        ]),
      ),
    },
    closed,
  ),
)

const AttemptTime = Type.Object({ created: Type.Number(), expires: Type.Number() }, closed)

export const IntegrationAttempt = named(
  'IntegrationAttempt',
  Type.Object(
    {
      attemptID: Type.String(),
      url: Type.String(),
      instructions: Type.String(),
      mode: StringEnum(['auto', 'code']),
      time: AttemptTime,
    },
    closed,
  ),
)

export const IntegrationAttemptStatus = named(
  'IntegrationAttemptStatus',
  Type.Union([
    Type.Object({ status: StringEnum(['pending', 'complete', 'expired']), time: AttemptTime }, closed),
    Type.Object({ status: Type.Literal('failed'), message: Type.String(), time: AttemptTime }, closed),
  ]),
)

export const CommandAttempt = named(
  'IntegrationCommandAttempt',
  Type.Object({ attemptID: Type.String(), time: AttemptTime }, closed),
)

export const CommandAttemptStatus = named(
  'IntegrationCommandAttemptStatus',
  Type.Union([
    Type.Object({ status: Type.Literal('pending'), message: Type.Optional(Type.String()), time: AttemptTime }, closed),
    Type.Object({ status: StringEnum(['complete', 'expired']), time: AttemptTime }, closed),
    Type.Object({ status: Type.Literal('failed'), message: Type.String(), time: AttemptTime }, closed),
  ]),
)

/** A credential's value; the entries `/api/credential` answers mask every secret in it. */
const CredentialValueOut = Type.Union([
  Type.Object({ type: Type.Literal('key'), key: Type.String(), metadata: Type.Optional(Metadata) }, closed),
  Type.Object(
    {
      type: Type.Literal('oauth'),
      methodID: Type.String(),
      refresh: Type.String(),
      access: Type.String(),
      expires: Type.Number(),
      metadata: Type.Optional(Metadata),
    },
    closed,
  ),
  Type.Object({ type: Type.Literal('external'), methodID: Type.String(), metadata: Type.Optional(Metadata) }, closed),
])

export const CredentialEntrySchema = named(
  'CredentialEntry',
  Type.Object(
    {
      id: Type.String(),
      integrationID: Type.String(),
      label: Type.String(),
      active: Type.Boolean(),
      value: CredentialValueOut,
    },
    closed,
  ),
)

// Request unions stay open: Ajv would strip the other branches' keys while trying each one.
// Only each type's own fields are kept when stored.
const MethodID = Type.String({ minLength: 1, maxLength: 200 })
const CredentialValueIn = Type.Union([
  Type.Object({ type: Type.Literal('key'), key: Secret, metadata: Type.Optional(Metadata) }),
  Type.Object({
    type: Type.Literal('oauth'),
    methodID: MethodID,
    refresh: Secret,
    access: Secret,
    expires: Type.Integer({ minimum: 0 }),
    metadata: Type.Optional(Metadata),
  }),
  Type.Object({ type: Type.Literal('external'), methodID: MethodID, metadata: Type.Optional(Metadata) }),
])

const IntegrationID = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:/@-]*$', maxLength: 300 })
const CredentialID = Type.String({ pattern: '^cred_[A-Za-z0-9_-]+$', maxLength: 400 })

export const CredentialCreateInput = Type.Object({
  id: Type.Optional(CredentialID),
  integrationID: IntegrationID,
  label: Type.Optional(Label),
  value: CredentialValueIn,
  activate: Type.Optional(Type.Boolean()),
})

const tagged = (tag: string, fields: string[]) =>
  named(
    tag,
    Type.Object(
      {
        _tag: Type.Literal(tag),
        message: Type.String(),
        ...Object.fromEntries(fields.map((field) => [field, Type.String()])),
      },
      closed,
    ),
  )
export const IntegrationNotFoundErrorBody = tagged('IntegrationNotFoundError', ['integrationID'])
export const IntegrationMethodNotFoundErrorBody = tagged('IntegrationMethodNotFoundError', [
  'integrationID',
  'methodID',
])
export const CredentialNotFoundErrorBody = tagged('CredentialNotFoundError', ['credentialID'])
export const IntegrationAttemptNotFoundErrorBody = named(
  'IntegrationAttemptNotFoundError',
  Type.Object(
    {
      _tag: Type.Literal('IntegrationAttemptNotFoundError'),
      message: Type.String(),
      integrationID: Type.Optional(Type.String()),
      attemptID: Type.String(),
    },
    closed,
  ),
)

/** OpenCode 2.1's form answers (`Form.Answer`): the values of a login method's fields. */
const FormAnswer = Type.Record(
  Type.String(),
  Type.Union([
    Type.String({ maxLength: 10_000 }),
    Type.Number(),
    Type.Boolean(),
    Type.Array(Type.String({ maxLength: 10_000 }), { maxItems: 100 }),
  ]),
  { maxProperties: 50 },
)
const NullableLabel = Type.Optional(Type.Union([Label, Type.Null()]))

export const IntegrationParams = Type.Object({ integrationID: Type.String({ minLength: 1, maxLength: 300 }) })
export const AttemptParams = Type.Object({ attemptID: Type.String({ pattern: '^con_', maxLength: 100 }) })
export const IntegrationAttemptParams = Type.Object({
  integrationID: Type.String({ minLength: 1, maxLength: 300 }),
  attemptID: Type.String({ pattern: '^con_', maxLength: 100 }),
})
export const CredentialParams = Type.Object({ credentialID: CredentialID })
export const ConnectKeyInput = Type.Object({
  key: Secret,
  answer: Type.Optional(Type.Union([FormAnswer, Type.Null()])),
  label: NullableLabel,
})
/** 2.1 sends `answer`; 1.18 sent `inputs` (strings only). */
export const ConnectOAuthInput = Type.Object({
  methodID: MethodID,
  answer: Type.Optional(Type.Union([FormAnswer, Type.Null()])),
  inputs: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 10_000 }), { maxProperties: 50 })),
  label: NullableLabel,
})
export const ConnectExternalInput = Type.Object({
  methodID: MethodID,
  answer: Type.Optional(Type.Union([FormAnswer, Type.Null()])),
  label: NullableLabel,
})
export const ConnectCommandInput = Type.Object({ methodID: MethodID, label: NullableLabel })
export const CompleteInput = Type.Object({
  code: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 10_000 }), Type.Null()])),
})
export const CredentialUpdateInput = Type.Object({ label: Label })
export const WellKnownInput = Type.Object({ url: Type.String({ minLength: 1, maxLength: 2000 }) })

/** A form answer as the plugin's `authorize` takes its inputs: every value as text. */
export function answerInputs(answer: Record<string, unknown> | null | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(answer ?? {}).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : String(value)]),
  )
}
