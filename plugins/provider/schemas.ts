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

// OpenCode 2.1's views (`/api/model`, `/api/provider`) of the same catalogue. Settings are the
// provider's and model's options without what may carry a secret (`apiKey`, `headers` ...).

const closed = { additionalProperties: false } as const
const Settings = Type.Record(Type.String(), Type.Unknown())

export const ModelV2Info = named(
  'ModelV2Info',
  Type.Object(
    {
      id: Type.String(),
      modelID: Type.String({ description: 'The id the provider is called with' }),
      providerID: Type.String(),
      family: Type.Optional(Type.String()),
      name: Type.String(),
      package: Type.String(),
      settings: Type.Optional(Settings),
      capabilities: Type.Object(
        {
          tools: Type.Boolean(),
          input: Type.Array(Type.String()),
          output: Type.Array(Type.String()),
          temperature: Type.Boolean(),
        },
        closed,
      ),
      variants: Type.Array(Type.Object({ id: Type.String(), settings: Type.Optional(Settings) }, closed)),
      time: Type.Object({ released: Type.Number() }, closed),
      cost: Type.Array(
        Type.Object(
          {
            input: Type.Number(),
            output: Type.Number(),
            cache: Type.Object({ read: Type.Number(), write: Type.Number() }, closed),
          },
          closed,
        ),
      ),
      status: StringEnum(['alpha', 'beta', 'deprecated', 'active']),
      enabled: Type.Boolean(),
      limit: Type.Object(
        { context: Type.Integer(), input: Type.Optional(Type.Integer()), output: Type.Integer() },
        closed,
      ),
    },
    closed,
  ),
)

export const ProviderV2Info = named(
  'ProviderV2Info',
  Type.Object(
    {
      id: Type.String(),
      integrationID: Type.Optional(Type.String()),
      name: Type.String(),
      activation: StringEnum(['auto', 'enabled', 'disabled'], {
        description: '`enabled`: configured; `auto`: usable through a credential or env var',
      }),
      package: Type.String(),
      settings: Type.Optional(Settings),
    },
    closed,
  ),
)

export const ProviderNotFoundErrorBody = named(
  'ProviderNotFoundError',
  Type.Object(
    { _tag: Type.Literal('ProviderNotFoundError'), providerID: Type.String(), message: Type.String() },
    { additionalProperties: false },
  ),
)
