import { Type } from 'typebox'
import { defineEvent, ref } from '../../sdk/index.js'
import { FileDiff, MessageError, MessageInfo, Part, SessionInfo, SessionStatus } from './schemas.js'

export const SessionCreated = defineEvent('session.created', { sessionID: Type.String(), info: ref(SessionInfo) })
export const SessionUpdated = defineEvent('session.updated', { sessionID: Type.String(), info: ref(SessionInfo) })
export const SessionDeleted = defineEvent('session.deleted', { sessionID: Type.String(), info: ref(SessionInfo) })
export const SessionStatusChanged = defineEvent('session.status', {
  sessionID: Type.String(),
  status: ref(SessionStatus),
})
export const SessionIdle = defineEvent('session.idle', { sessionID: Type.String() })
export const SessionCompacted = defineEvent('session.compacted', { sessionID: Type.String() })
export const SessionError = defineEvent('session.error', {
  sessionID: Type.Optional(Type.String()),
  error: Type.Optional(ref(MessageError)),
})

export const MessageUpdated = defineEvent('message.updated', { sessionID: Type.String(), info: ref(MessageInfo) })
export const MessageRemoved = defineEvent('message.removed', { sessionID: Type.String(), messageID: Type.String() })
export const MessagePartUpdated = defineEvent('message.part.updated', {
  sessionID: Type.String(),
  part: ref(Part),
  time: Type.Number(),
})
export const MessagePartRemoved = defineEvent('message.part.removed', {
  sessionID: Type.String(),
  messageID: Type.String(),
  partID: Type.String(),
})
/** One streamed piece of a text or reasoning part: the delta only, never the whole part. */
export const MessagePartDelta = defineEvent('message.part.delta', {
  sessionID: Type.String(),
  messageID: Type.String(),
  partID: Type.String(),
  field: Type.String(),
  delta: Type.String(),
})
export const SessionDiff = defineEvent('session.diff', { sessionID: Type.String(), diff: Type.Array(ref(FileDiff)) })
export const CommandExecuted = defineEvent('command.executed', {
  name: Type.String(),
  sessionID: Type.String(),
  arguments: Type.String(),
  messageID: Type.String(),
})
