import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { registerProjectRoutes } from './routes.js'
import { PROJECT_SCHEMAS } from './schemas.js'
import { createProjectService } from './service.js'
import { registerProjectV21Routes } from './v21-routes.js'
import { ProjectNotFoundErrorBody, ProjectV21 } from './v21-schemas.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['storage', 'instances', 'env', 'publish', 'onInstanceBoot'] as const satisfies readonly KernelMember[]
export type ProjectKernel = PluginKernel<(typeof needs)[number]>

/**
 * Projects: one per repository (id = root commit, `global` outside git), kept in SQLite with a
 * name, icon and commands the user sets. A row is recorded when an instance boots.
 */
export default definePlugin({
  name: 'project',
  needs,
  register(app, kernel) {
    registerSchemas(app, [...PROJECT_SCHEMAS, ProjectV21, ProjectNotFoundErrorBody])
    const service = createProjectService(kernel)
    kernel.onInstanceBoot((instance) => void service.record(instance))
    app.decorate('projects', service)
    registerProjectRoutes(app, service)
    registerProjectV21Routes(app, kernel, service)
  },
})
