import {
  WorkspaceDirectory,
  definePlugin,
  registerSchemas,
  type KernelMember,
  type PluginKernel,
} from '../../sdk/index.js'
import { ProjectCopies } from './copy.js'
import { registerWorkspaceRoutes } from './routes.js'
import { WORKSPACE_SCHEMAS } from './schemas.js'
import { WorkspaceService } from './service.js'
import { WORKSPACE_MIGRATIONS, WorkspaceStore } from './store.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['storage', 'instances', 'extensions', 'env', 'publish'] as const satisfies readonly KernelMember[]
export type WorkspaceKernel = PluginKernel<(typeof needs)[number]>

/**
 * Workspaces (`/experimental/workspace*`): places of a project a session can work in, made by the
 * `worktree` adapter; moving sessions between them (`warp`, `control-plane/move-session`) and
 * project copies. A workspace id stands for its directory in instance routing.
 */
export default definePlugin({
  name: 'workspace',
  dependencies: ['project', 'worktree', 'session'],
  needs,
  register(app, kernel) {
    registerSchemas(app, WORKSPACE_SCHEMAS)
    kernel.storage.migrate('workspace', WORKSPACE_MIGRATIONS)
    const workspaces = new WorkspaceService(app, kernel, new WorkspaceStore(kernel.storage.db))
    kernel.extensions.provide(WorkspaceDirectory, 'workspace', (id) => workspaces.directory(id))
    registerWorkspaceRoutes(app, workspaces, new ProjectCopies(app, kernel))
  },
})
