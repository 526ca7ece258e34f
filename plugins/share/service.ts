import type { ShareKernel } from './index.js'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { Instance, PluginApp } from '../../sdk/index.js'
import type { SessionInfo } from '../session/schemas.js'
import type { ShareStore } from './store.js'

type ShareMode = 'manual' | 'auto' | 'disabled'

/** What sharing works with: the app (for `app.sessions` and its address), the kernel, the store. */
export interface ShareDeps {
  app: PluginApp
  kernel: ShareKernel
  store: ShareStore
}

export function shareMode(kernel: ShareKernel, instance: Instance): ShareMode {
  const config = kernel.config(instance)
  if (config.share === 'disabled' || config.share === 'auto') return config.share
  return config.autoshare === true ? 'auto' : 'manual'
}

/** Where this server is reached: the request's own origin, else the listening address. */
export function origin(app: PluginApp, request?: { protocol: string; host: string }): string {
  if (request) return `${request.protocol}://${request.host}`
  const address = app.server.address() as AddressInfo | null
  if (!address || typeof address !== 'object') return 'http://localhost'
  const host =
    address.address === '::' || address.address === '0.0.0.0'
      ? 'localhost'
      : address.family === 'IPv6'
        ? `[${address.address}]`
        : address.address
  return `http://${host}:${address.port}`
}

/** Gives the session a share id (keeping one it has) and its `share.url` under `base`. */
export function shareSession(
  { app, store }: ShareDeps,
  instance: Instance,
  sessionID: string,
  base: string,
): SessionInfo {
  const existing = store.idOf(sessionID)
  const id = existing ?? randomBytes(9).toString('base64url')
  if (!existing) store.add(id, sessionID)
  return app.sessions.update(instance, sessionID, (info) => {
    info.share = { url: `${base}/share/${id}` }
  })
}

/**
 * Shares each new top-level session of a project with config `share: "auto"`, and forgets the
 * share of a deleted session. Returns the unsubscribe.
 */
export function followSessions(deps: ShareDeps): () => void {
  const { app, kernel, store } = deps
  return kernel.bus.subscribe((event) => {
    const { type, properties } = event.payload
    if (type === 'session.deleted') store.remove((properties as { sessionID: string }).sessionID)
    if (type !== 'session.created' || event.directory === 'global') return
    const info = (properties as { info: SessionInfo }).info
    if (info.parentID) return
    void kernel.instances
      .get(event.directory)
      .then((instance) => {
        if (shareMode(kernel, instance) === 'auto') shareSession(deps, instance, info.id, origin(app))
      })
      .catch((error: unknown) => kernel.log.warn({ err: error, sessionID: info.id }, 'auto-share failed'))
  })
}
