import { definePlugin, registerSchemas } from '../../sdk/index.js'
import { registerAgentRoutes } from './routes.js'
import { registerAgentV2Routes } from './v2-routes.js'
import { AGENT_SCHEMAS, AGENT_V2_SCHEMAS } from './schemas.js'
import { createServices } from './service.js'
import type {} from './types.js'

/** Agents, slash commands and skills: `GET /agent`, `/command`, `/skill` and the services behind them. */
export default definePlugin({
  name: 'agent',
  needs: ['paths', 'config', 'loadedConfig'],
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
