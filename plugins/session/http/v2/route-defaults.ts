import { Type } from 'typebox'
import { ref, v2Errors } from '../../../../sdk/index.js'
import { SessionNotFoundErrorBody } from './schemas.js'

// What every session route of the v2 API shares (one object each, as when they were one file).

export const routeTags = ['session']
/** Tagged v2 errors; the instance comes from the stored session, not from `?directory=`. */
export const routeConfig = { v2: true, instance: false }
export const SessionID = Type.String({ pattern: '^ses', maxLength: 100 })
export const SessionParams = Type.Object({ sessionID: SessionID })
export const sessionNotFound = v2Errors({ 404: ref(SessionNotFoundErrorBody) })
