import { Type } from 'typebox'
import { defineEvent, ref } from '../../sdk/index.js'
import { PersistentPtyInfo } from './persistent/schemas.js'
import { PtyId, PtyInfo } from './schemas.js'

export const PtyCreated = defineEvent('pty.created', { info: ref(PtyInfo) })
export const PtyUpdated = defineEvent('pty.updated', { info: ref(PtyInfo) })
export const PtyExited = defineEvent('pty.exited', { id: PtyId, exitCode: Type.Integer({ minimum: 0 }) })
export const PtyDeleted = defineEvent('pty.deleted', { id: PtyId })

/** A session's persistent terminal started (OpenCode 2.1; published without a location). */
export const PersistentPtyAdded = defineEvent('persistent-pty.added', {
  sessionID: Type.String(),
  terminal: ref(PersistentPtyInfo),
})
/** A persistent terminal ended: removed, its process exited, its session deleted, or all shut down. */
export const PersistentPtyRemoved = defineEvent('persistent-pty.removed', { sessionID: Type.String(), ptyID: PtyId })
