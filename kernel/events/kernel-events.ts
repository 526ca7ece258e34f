import { Type } from 'typebox'
import { defineEvent } from './bus.js'

// The kernel's own events; feature events live in their plugins' events.ts.
export const ServerConnected = defineEvent('server.connected', {})
export const ServerHeartbeat = defineEvent('server.heartbeat', {})
export const ServerInstanceDisposed = defineEvent('server.instance.disposed', { directory: Type.String() })
export const GlobalDisposed = defineEvent('global.disposed', {})
/** Sent instead of a replay when the events after `Last-Event-ID` are no longer held. */
export const ServerResyncRequired = defineEvent('server.resync.required', {
  lastEventID: Type.String(),
  reason: Type.String(),
})
/** Dev mode replaced the plugins with their edited code (or kept the old ones when that failed). */
export const ServerReloaded = defineEvent('server.reloaded', {
  generation: Type.Integer({ minimum: 1 }),
  ok: Type.Boolean(),
  error: Type.Optional(Type.String()),
})
/** OpenCode 2.1: a location is shutting down (reload, eviction); clients re-read its state once it answers again. */
export const LocationShutdown = defineEvent('location.shutdown', {})
