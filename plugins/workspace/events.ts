import { Type } from 'typebox'
import { defineEvent } from '../../sdk/index.js'

/** A workspace's checkout exists (published for the requesting instance). */
export const WorkspaceReady = defineEvent('workspace.ready', { name: Type.String() })
/** A workspace's directory appeared or went away. */
export const WorkspaceStatusChanged = defineEvent('workspace.status', {
  workspaceID: Type.String(),
  status: Type.Union([
    Type.Literal('connected'),
    Type.Literal('connecting'),
    Type.Literal('disconnected'),
    Type.Literal('error'),
  ]),
})
/** A session now works in another directory of its project (durable: it joins the session's sync log). */
export const SessionMoved = defineEvent('session.next.moved', {
  sessionID: Type.String(),
  timestamp: Type.Number(),
  location: Type.Object({ directory: Type.String(), workspaceID: Type.Optional(Type.String()) }),
  subdirectory: Type.Optional(Type.String()),
})
