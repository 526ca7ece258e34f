// Where a session is, whatever the project: v2 routes and `app.sessions.locate` take the instance
// from the session rather than from the request.
import type { SessionKernel } from '../index.js'
import { type Instance } from '../../../sdk/index.js'
import { SessionNotFoundV2 } from '../errors.js'
import type { SessionInfo } from '../schemas.js'
import type { SessionStore } from './store.js'

/** The stored session, in whichever project; the tagged v2 404 when there is none. */
export function storedSession(store: SessionStore, sessionID: string): SessionInfo {
  const info = store.getSession(sessionID)
  if (!info) throw new SessionNotFoundV2(sessionID)
  return info
}

/** The session and the instance its loop runs in (booted if need be); the tagged v2 404 when there is none. */
export async function sessionInstance(
  kernel: SessionKernel,
  store: SessionStore,
  sessionID: string,
): Promise<{ info: SessionInfo; instance: Instance }> {
  const info = storedSession(store, sessionID)
  return { info, instance: await kernel.instances.get(info.directory) }
}
