import { Type } from 'typebox'
import { StringEnum, defineEvent } from '../../sdk/index.js'
import { PERMISSION_REPLIES, PermissionRequestFields } from './schemas.js'

export const PermissionAsked = defineEvent('permission.asked', PermissionRequestFields)
export const PermissionReplied = defineEvent('permission.replied', {
  sessionID: Type.String(),
  requestID: Type.String(),
  reply: StringEnum(PERMISSION_REPLIES),
})
