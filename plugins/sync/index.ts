import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { registerSyncRoutes } from './routes.js'
import { InvalidRequestErrorBody, SyncHistoryEvent } from './schemas.js'
import { SyncService } from './service.js'
import { SYNC_MIGRATIONS, SyncStore } from './store.js'
import type { SyncLog } from './types.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['bus', 'storage', 'instances', 'extensions'] as const satisfies readonly KernelMember[]
export type SyncKernel = PluginKernel<(typeof needs)[number]>

/**
 * The per-session event log (`/sync/*`): durable session events numbered per session, read by
 * `/sync/history` and replayed into another server by `/sync/replay`.
 */
export default definePlugin({
  name: 'sync',
  dependencies: ['session'],
  needs,
  register(app, kernel) {
    registerSchemas(app, [SyncHistoryEvent, InvalidRequestErrorBody])
    kernel.storage.migrate('sync', SYNC_MIGRATIONS)
    const service = new SyncService(app, kernel, new SyncStore(kernel.storage.db))
    // Synchronous: each event is logged before the next one is published, so seqs follow the bus.
    const unsubscribe = kernel.bus.subscribe((event) => service.record(event))
    app.addHook('onClose', async () => unsubscribe())
    const log: SyncLog = {
      after: (id, after, limit, prefix) => service.after(id, after, limit, prefix),
      latest: (id) => service.latest(id),
      follow: (id, listener) => service.follow(id, listener),
    }
    app.decorate('syncLog', log)
    registerSyncRoutes(app, kernel, service)
  },
})
