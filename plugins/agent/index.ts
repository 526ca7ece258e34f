import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { registerAgentRoutes } from './routes.js'
import { registerAgentV2Routes } from './v2-routes.js'
import { AGENT_SCHEMAS, AGENT_V2_SCHEMAS } from './schemas.js'
import { createServices } from './service.js'
import type {} from './types.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['paths', 'config', 'loadedConfig'] as const satisfies readonly KernelMember[]
export type AgentKernel = PluginKernel<(typeof needs)[number]>

/** Agents, slash commands and skills: `GET /agent`, `/command`, `/skill` and the services behind them. */
export default definePlugin({
  name: 'agent',
  needs,
  register(app, kernel) {
    registerSchemas(app, AGENT_SCHEMAS)
    registerSchemas(app, AGENT_V2_SCHEMAS)
    const services = createServices(kernel)
    app.decorate('agents', services.agents)
    app.decorate('commands', services.commands)
    app.decorate('skills', services.skills)
    registerAgentRoutes(app)
    registerAgentV2Routes(app)
  },
})
