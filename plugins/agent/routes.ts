import { Type } from 'typebox'
import { InstanceQuery, ref, type PluginApp } from '../../sdk/index.js'
import { AgentInfo, CommandInfo, SkillInfo } from './schemas.js'

export function registerAgentRoutes(app: PluginApp): void {
  app.get(
    '/agent',
    {
      schema: {
        operationId: 'app.agents',
        tags: ['instance'],
        summary: 'List agents',
        description: 'Built-in and configured agents, hidden ones included; the configured default agent first.',
        querystring: Type.Object(InstanceQuery),
        response: { 200: Type.Array(ref(AgentInfo)) },
      },
    },
    async (request) => app.agents.list(request.instance),
  )

  app.get(
    '/command',
    {
      schema: {
        operationId: 'command.list',
        tags: ['instance'],
        summary: 'List commands',
        description: 'Built-in, configured and markdown slash commands, then skills usable as commands.',
        querystring: Type.Object(InstanceQuery),
        response: { 200: Type.Array(ref(CommandInfo)) },
      },
    },
    async (request) => app.commands.list(request.instance),
  )

  app.get(
    '/skill',
    {
      schema: {
        operationId: 'app.skills',
        tags: ['instance'],
        summary: 'List skills',
        querystring: Type.Object(InstanceQuery),
        response: { 200: Type.Array(ref(SkillInfo)) },
      },
    },
    async (request) => app.skills.list(request.instance),
  )
}
