import { Type } from 'typebox'
import { StringEnum, named } from '../../sdk/index.js'

/** The tool call a request came from. */
export const PermissionTool = Type.Object(
  { messageID: Type.String(), callID: Type.String() },
  { additionalProperties: false },
)

export const PermissionRequestFields = {
  id: Type.String({ pattern: '^per' }),
  sessionID: Type.String({ pattern: '^ses' }),
  permission: Type.String({ description: '`bash`, `edit`, `read`, `external_directory`, ...' }),
  patterns: Type.Array(Type.String(), { description: 'What the call touches: commands, paths' }),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  always: Type.Array(Type.String(), { description: 'Patterns allowed for the project when the reply is `always`' }),
  tool: Type.Optional(PermissionTool),
}

/** A pending permission request, as OpenCode's `PermissionRequest`. */
export const PermissionRequest = named(
  'PermissionRequest',
  Type.Object(PermissionRequestFields, { additionalProperties: false }),
)

// `allow` and `deny` are the seed specification's words for `once` and `reject`.
export const PERMISSION_REPLIES = ['once', 'always', 'reject'] as const
export type PermissionReply = (typeof PERMISSION_REPLIES)[number]
const REPLY_VALUES = [...PERMISSION_REPLIES, 'allow', 'deny'] as const

export function normalizeReply(value: (typeof REPLY_VALUES)[number]): PermissionReply {
  return value === 'allow' ? 'once' : value === 'deny' ? 'reject' : value
}

export const PermissionReplyInput = Type.Object(
  {
    reply: StringEnum(REPLY_VALUES, {
      description:
        '`once` allows this call, `always` also remembers the patterns for the project, `reject` fails it (`allow`/`deny` are accepted as `once`/`reject`)',
    }),
    message: Type.Optional(
      Type.String({ maxLength: 10_000, description: 'Feedback for the model; with `reject` the loop continues' }),
    ),
  },
  { additionalProperties: false },
)

export const PermissionRespondInput = Type.Object(
  { response: StringEnum(REPLY_VALUES, { description: 'As `reply` of POST /permission/:requestID/reply' }) },
  { additionalProperties: false },
)

export const RequestParams = Type.Object({ requestID: Type.String({ pattern: '^per', maxLength: 100 }) })
export const SessionPermissionParams = Type.Object({
  sessionID: Type.String({ pattern: '^ses', maxLength: 100 }),
  permissionID: Type.String({ pattern: '^per', maxLength: 100 }),
})
