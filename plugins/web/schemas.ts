import { Type } from 'typebox'

export const AssetParams = Type.Object({ file: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$' }) })

export const LoginResult = Type.Object(
  {
    authenticated: Type.Boolean(),
    expires: Type.Optional(Type.Number({ description: 'When the cookie expires (ms since epoch)' })),
  },
  { additionalProperties: false },
)
