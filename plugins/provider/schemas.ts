import { StringEnum, named, ref } from '../../sdk/index.js'
import { Type } from 'typebox'

const Flags = Type.Object({
  text: Type.Boolean(),
  audio: Type.Boolean(),
  image: Type.Boolean(),
  video: Type.Boolean(),
  pdf: Type.Boolean(),
})

export const ModelInfoSchema = named(
  'Provider.Model',
  Type.Object(
    {
      id: Type.String(),
      providerID: Type.String(),
      name: Type.String(),
      family: Type.Optional(Type.String()),
      api: Type.Object({ id: Type.String(), url: Type.String(), npm: Type.String() }),
      capabilities: Type.Object({
        temperature: Type.Boolean(),
        reasoning: Type.Boolean(),
        attachment: Type.Boolean(),
        toolcall: Type.Boolean(),
        input: Flags,
        output: Flags,
        interleaved: Type.Union([Type.Boolean(), Type.Object({ field: Type.String() })]),
      }),
      cost: Type.Object({
        input: Type.Number(),
        output: Type.Number(),
        cache: Type.Object({ read: Type.Number(), write: Type.Number() }),
      }),
      limit: Type.Object({ context: Type.Number(), input: Type.Optional(Type.Number()), output: Type.Number() }),
      status: StringEnum(['alpha', 'beta', 'deprecated', 'active']),
      options: Type.Record(Type.String(), Type.Unknown()),
      headers: Type.Record(Type.String(), Type.String()),
      release_date: Type.String(),
      variants: Type.Optional(
        Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()), {
          description: 'Named sets of provider options a prompt can pick (`variant`), e.g. reasoning effort',
        }),
      ),
    },
    { additionalProperties: true },
  ),
)

export const ProviderInfoSchema = named(
  'Provider.Info',
  Type.Object({
    id: Type.String(),
    name: Type.String(),
    source: StringEnum(['env', 'config', 'custom', 'api']),
    env: Type.Array(Type.String()),
    options: Type.Record(Type.String(), Type.Unknown()),
    models: Type.Record(Type.String(), ref(ModelInfoSchema)),
  }),
)

export const ProviderList = named(
  'Provider.List',
  Type.Object({
    all: Type.Array(ref(ProviderInfoSchema)),
    default: Type.Record(Type.String(), Type.String()),
    connected: Type.Array(Type.String()),
  }),
)

export const ConfiguredProviders = named(
  'Provider.Configured',
  Type.Object({ providers: Type.Array(ref(ProviderInfoSchema)), default: Type.Record(Type.String(), Type.String()) }),
)

export const AuthMethod = named(
  'Provider.AuthMethod',
  Type.Object({ type: StringEnum(['oauth', 'api']), label: Type.String() }),
)

export const AuthAuthorization = named(
  'Provider.AuthAuthorization',
  Type.Object({ url: Type.String(), method: StringEnum(['auto', 'code']), instructions: Type.String() }),
)

const Secret = Type.String({ minLength: 1, maxLength: 100_000 })
export const AuthInput = named(
  'Auth',
  Type.Union([
    // No additionalProperties: false here: Ajv would strip keys while trying the first branches.
    // The route keeps only each type's own fields.
    Type.Object({ type: Type.Literal('api'), key: Secret }),
    Type.Object({
      type: Type.Literal('oauth'),
      refresh: Secret,
      access: Secret,
      expires: Type.Number({ minimum: 0 }),
      enterpriseUrl: Type.Optional(Type.String()),
    }),
    Type.Object({ type: Type.Literal('wellknown'), key: Secret, token: Secret }),
  ]),
)

export const ProviderParams = Type.Object({
  providerID: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', maxLength: 100 }),
})
export const AuthorizeInput = Type.Object({
  method: Type.Integer({ minimum: 0 }),
  inputs: Type.Optional(Type.Record(Type.String(), Type.String())),
})
export const CallbackInput = Type.Object({
  method: Type.Integer({ minimum: 0 }),
  code: Type.Optional(Type.String({ maxLength: 10_000 })),
})

// v2 (`/api/model`, `/api/provider`) views of the same catalogue.

const StringMap = Type.Record(Type.String(), Type.String())
const Body = Type.Object({}, { additionalProperties: true })

export const ModelV2Info = named(
  'ModelV2Info',
  Type.Object(
    {
      id: Type.String(),
      providerID: Type.String(),
      family: Type.Optional(Type.String()),
      name: Type.String(),
      api: Type.Object(
        {
          id: Type.String(),
          type: Type.Literal('aisdk'),
          package: Type.String(),
          url: Type.Optional(Type.String()),
          settings: Type.Optional(Body),
        },
        { additionalProperties: false },
      ),
      capabilities: Type.Object(
        { tools: Type.Boolean(), input: Type.Array(Type.String()), output: Type.Array(Type.String()) },
        { additionalProperties: false },
      ),
      request: Type.Object(
        { headers: StringMap, body: Body, variant: Type.Optional(Type.String()) },
        { additionalProperties: false },
      ),
      variants: Type.Array(
        Type.Object({ id: Type.String(), headers: StringMap, body: Body }, { additionalProperties: false }),
      ),
      time: Type.Object({ released: Type.Number() }, { additionalProperties: false }),
      cost: Type.Array(
        Type.Object(
          {
            input: Type.Number(),
            output: Type.Number(),
            cache: Type.Object({ read: Type.Number(), write: Type.Number() }, { additionalProperties: false }),
          },
          { additionalProperties: false },
        ),
      ),
      status: StringEnum(['alpha', 'beta', 'deprecated', 'active']),
      enabled: Type.Boolean(),
      limit: Type.Object(
        { context: Type.Integer(), input: Type.Optional(Type.Integer()), output: Type.Integer() },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
)

export const ProviderV2Info = named(
  'ProviderV2Info',
  Type.Object(
    {
      id: Type.String(),
      integrationID: Type.Optional(Type.String()),
      name: Type.String(),
      disabled: Type.Optional(Type.Boolean()),
      api: Type.Object(
        {
          type: Type.Literal('aisdk'),
          package: Type.String(),
          url: Type.Optional(Type.String()),
          settings: Type.Optional(Body),
        },
        { additionalProperties: false },
      ),
      request: Type.Object({ headers: StringMap, body: Body }, { additionalProperties: false }),
    },
    { additionalProperties: false },
  ),
)

export const ProviderNotFoundErrorBody = named(
  'ProviderNotFoundError',
  Type.Object(
    { _tag: Type.Literal('ProviderNotFoundError'), providerID: Type.String(), message: Type.String() },
    { additionalProperties: false },
  ),
)

// v2 integrations (`/api/integration…`) and credentials (`/api/credential…`): views over the
// same providers, `ProviderOAuth` methods and stored credentials as v1.

const closed = { additionalProperties: false } as const

export const IntegrationInfo = named(
  'IntegrationInfo',
  Type.Object(
    {
      id: Type.String(),
      name: Type.String(),
      methods: Type.Array(
        Type.Union([
          Type.Object({ id: Type.String(), type: Type.Literal('oauth'), label: Type.String() }, closed),
          Type.Object({ type: Type.Literal('key'), label: Type.Optional(Type.String()) }, closed),
          Type.Object({ type: Type.Literal('env'), names: Type.Array(Type.String()) }, closed),
        ]),
      ),
      connections: Type.Array(
        Type.Union([
          Type.Object({ type: Type.Literal('credential'), id: Type.String(), label: Type.String() }, closed),
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

const tagged = (tag: string, field: string) =>
  named(tag, Type.Object({ _tag: Type.Literal(tag), message: Type.String(), [field]: Type.String() }, closed))
export const IntegrationNotFoundErrorBody = tagged('IntegrationNotFoundError', 'integrationID')
export const IntegrationAttemptNotFoundErrorBody = tagged('IntegrationAttemptNotFoundError', 'attemptID')
export const CredentialNotFoundErrorBody = tagged('CredentialNotFoundError', 'credentialID')

const Label = Type.String({ minLength: 1, maxLength: 200 })
export const IntegrationParams = Type.Object({ integrationID: Type.String({ minLength: 1, maxLength: 200 }) })
export const AttemptParams = Type.Object({ attemptID: Type.String({ pattern: '^con_', maxLength: 100 }) })
export const CredentialParams = Type.Object({ credentialID: Type.String({ pattern: '^cred_', maxLength: 400 }) })
export const ConnectKeyInput = Type.Object({ key: Secret, label: Type.Optional(Label) })
export const ConnectOAuthInput = Type.Object({
  methodID: Type.String({ minLength: 1, maxLength: 200 }),
  inputs: Type.Record(Type.String(), Type.String({ maxLength: 10_000 }), { maxProperties: 50 }),
  label: Type.Optional(Label),
})
export const CompleteInput = Type.Object({ code: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })) })
export const CredentialUpdateInput = Type.Object({ label: Label })
