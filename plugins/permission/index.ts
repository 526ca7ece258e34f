import {
  defineApiView,
  definePlugin,
  registerSchemas,
  type Instance,
  type KernelMember,
  type PluginKernel,
} from '../../sdk/index.js'
import type { PermissionGate } from '../session/types.js'
import { registerPermissionRoutes } from './routes.js'
import { PermissionRequest } from './schemas.js'
import { PermissionService } from './service.js'
import { PermissionAsked } from './events.js'
import { SavedPermissionStore } from './saved-store.js'
import { PERMISSION_MIGRATIONS, PermissionStore } from './store.js'
import type {} from './types.js' // app.permissionRequests
import { registerPermissionV2Routes } from './v2-routes.js'
import {
  PermissionNotFoundErrorBody,
  PermissionSavedInfo,
  PermissionSavedNotFoundErrorBody,
  PermissionSource,
  PermissionV2Request,
  permissionV2View,
} from './v2-schemas.js'

declare module 'fastify' {
  interface FastifyInstance {
    permissionGate: PermissionGate
  }
}

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = [
  'extensions',
  'storage',
  'publish',
  'onInstanceBoot',
  'reloading',
  'clustered',
  'keep',
] as const satisfies readonly KernelMember[]
export type PermissionKernel = PluginKernel<(typeof needs)[number]>

/** Permission requests and replies: the gate the session runner asks when a rule says `ask`. */
export default definePlugin({
  name: 'permission',
  dependencies: ['session'],
  needs,
  register(app, kernel) {
    registerSchemas(app, [
      PermissionRequest,
      PermissionSource,
      PermissionV2Request,
      PermissionSavedInfo,
      PermissionNotFoundErrorBody,
      PermissionSavedNotFoundErrorBody,
    ])
    kernel.storage.migrate('permission', PERMISSION_MIGRATIONS)
    const { db } = kernel.storage
    const service = new PermissionService(app, kernel, new PermissionStore(db), new SavedPermissionStore(db))
    app.decorate('permissionGate', service)
    app.decorate('permissionRequests', service)
    // One `permission.asked` on the bus: v1's data on `/event`, OpenCode 2.1's on `/api/event`.
    defineApiView(PermissionAsked, permissionV2View)
    app.sessions.holdInterrupted(service)
    // Runs after the session plugin's recovery (hooks run in registration order); in a cluster
    // per instance as it boots on the node holding its lease, as the session plugin recovers.
    if (kernel.clustered) {
      const pruned = kernel.keep('permission.pruned', () => new WeakSet<Instance>())
      kernel.onInstanceBoot((instance) => {
        if (pruned.has(instance)) return
        pruned.add(instance)
        service.pruneOrphans(instance.directory)
      })
    } else {
      app.addHook('onReady', async () => {
        if (!kernel.reloading) service.pruneOrphans()
      })
    }
    registerPermissionRoutes(app, service)
    registerPermissionV2Routes(app, service)
  },
})
