import { Type } from 'typebox'
import { defineEvent, ref } from '../../sdk/index.js'
import { PtyId, PtyInfo } from './schemas.js'

export const PtyCreated = defineEvent('pty.created', { info: ref(PtyInfo) })
export const PtyUpdated = defineEvent('pty.updated', { info: ref(PtyInfo) })
export const PtyExited = defineEvent('pty.exited', { id: PtyId, exitCode: Type.Integer({ minimum: 0 }) })
export const PtyDeleted = defineEvent('pty.deleted', { id: PtyId })
