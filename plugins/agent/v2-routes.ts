import { Type, type Static } from 'typebox'
import {
  LocationQuery,
  PublicLocationEnvelope,
  publicLocationEnvelope,
  ref,
  v2Errors,
  type Instance,
  type PluginApp,
} from '../../sdk/index.js'
import { AgentNotFoundError } from './errors.js'
import type { AgentInfo, CommandInfo, SkillInfo } from './types.js'
import { AgentNotFoundErrorBody, AgentV2Info, CommandV2Info, SkillV2Info } from './schemas.js'

/** The name a client shows: OpenCode 2.1 capitalises its built-in agents (`Build`), others keep their id. */
function displayName(agent: AgentInfo): string {
  return agent.native ? agent.name.charAt(0).toUpperCase() + agent.name.slice(1) : agent.name
}

/** An agent as OpenCode 2.1 shows it (`Agent.Info`). */
export function agentV2View(agent: AgentInfo): Static<typeof AgentV2Info> {
  const body: Record<string, unknown> = { ...agent.options }
  if (agent.temperature !== undefined) body.temperature = agent.temperature
  if (agent.topP !== undefined) body.topP = agent.topP
  return {
    id: agent.name,
    name: displayName(agent),
    ...(agent.model
      ? {
          model: {
            id: agent.model.modelID,
            providerID: agent.model.providerID,
            ...(agent.variant ? { variant: agent.variant } : {}),
          },
        }
      : {}),
    request: { settings: {}, headers: {}, body },
    ...(agent.prompt ? { system: agent.prompt } : {}),
    ...(agent.description ? { description: agent.description } : {}),
    mode: agent.mode,
    hidden: agent.hidden ?? false,
    ...(agent.color ? { color: agent.color } : {}),
    ...(agent.steps !== undefined && Number.isInteger(agent.steps) && agent.steps > 0 ? { steps: agent.steps } : {}),
    permissions: agent.permission.map((rule) => ({
      action: rule.permission,
      resource: rule.pattern,
      effect: rule.action,
    })),
  }
}

/** A slash command as OpenCode 2.1 lists it: its name and description (the template stays server-side). */
export function commandV2View(command: CommandInfo): Static<typeof CommandV2Info> {
  return { name: command.name, ...(command.description ? { description: command.description } : {}) }
}

/** A skill as OpenCode 2.1 shows it (`Skill.Info`); its id is its name. */
export function skillV2View(skill: SkillInfo): Static<typeof SkillV2Info> {
  return {
    id: skill.name,
    name: skill.name,
    ...(skill.description ? { description: skill.description } : {}),
    path: skill.location,
    content: skill.content,
  }
}

const tags = (tag: string) => [tag]

/**
 * OpenCode 2.1's `GET /api/agent`, `/api/agent/{agentID}`, `/api/command`, `/api/skill`: views
 * over the same catalogues as v1, in the location a request names.
 */
export function registerAgentV2Routes(app: PluginApp): void {
  const list = <T>(
    id: 'agent' | 'command' | 'skill',
    summary: string,
    item: Parameters<typeof ref>[0],
    load: (instance: Instance) => Promise<T[]>,
  ) =>
    app.get(
      `/api/${id}`,
      {
        config: { v2: true, location: true },
        schema: {
          operationId: `${id}.list`,
          tags: tags(id),
          summary,
          querystring: Type.Object(LocationQuery),
          response: { 200: PublicLocationEnvelope(Type.Array(ref(item))), ...v2Errors() },
        },
      },
      async (request) => publicLocationEnvelope(request, await load(request.instance)),
    )

  list('agent', 'List agents', AgentV2Info, async (instance) => (await app.agents.list(instance)).map(agentV2View))
  list('command', 'List commands', CommandV2Info, async (instance) =>
    (await app.commands.list(instance)).filter((command) => command.source !== 'skill').map(commandV2View),
  )
  list('skill', 'List skills', SkillV2Info, async (instance) => (await app.skills.list(instance)).map(skillV2View))

  app.get(
    '/api/agent/:agentID',
    {
      config: { v2: true, location: true },
      schema: {
        operationId: 'agent.get',
        tags: tags('agent'),
        summary: 'Get agent',
        description: 'One agent of the location; 404 `AgentNotFoundError` when it has none of that id.',
        params: Type.Object({ agentID: Type.String({ minLength: 1, maxLength: 256 }) }),
        querystring: Type.Object(LocationQuery),
        response: {
          200: PublicLocationEnvelope(ref(AgentV2Info)),
          ...v2Errors({ 404: ref(AgentNotFoundErrorBody) }),
        },
      },
    },
    async (request) => {
      const { agentID } = request.params
      const agent = await app.agents.get(request.instance, agentID)
      if (!agent) throw new AgentNotFoundError(agentID)
      return publicLocationEnvelope(request, agentV2View(agent))
    },
  )
}
