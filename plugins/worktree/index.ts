import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { registerWorktreeRoutes } from './routes.js'
import { WORKTREE_SCHEMAS } from './schemas.js'
import { WorktreeService } from './service.js'
import type { WorktreeApi } from './types.js'
import { registerWorktreeV21Routes, WORKTREE_V21_SCHEMAS } from './v21-routes.js'
import { WorktreeV21Service } from './v21-service.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['paths', 'bus', 'instances', 'processes', 'env'] as const satisfies readonly KernelMember[]
export type WorktreeKernel = PluginKernel<(typeof needs)[number]>

/**
 * Sandboxes: extra checkouts of a git project (linked worktrees on `opencode/<name>` branches in
 * the server's data directory), recorded in the project's `sandboxes`.
 */
export default definePlugin({
  name: 'worktree',
  dependencies: ['project'],
  needs,
  register(app, kernel) {
    registerSchemas(app, [...WORKTREE_SCHEMAS, ...WORKTREE_V21_SCHEMAS])
    const service = new WorktreeService(kernel, app.projects)
    const api: WorktreeApi = {
      create: (instance, input) => service.create(instance, input),
      remove: (instance, directory) => service.remove(instance, directory),
      reset: (instance, directory) => service.reset(instance, directory),
      list: (instance) => service.list(instance),
    }
    app.decorate('worktrees', api)
    registerWorktreeRoutes(app, service)
    registerWorktreeV21Routes(app, new WorktreeV21Service(kernel, app.projects, service))
  },
})
