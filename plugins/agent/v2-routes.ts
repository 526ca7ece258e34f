import { Type, type Static } from 'typebox'
import {
  LocationEnvelope,
  LocationQuery,
  locationEnvelope,
  ref,
  v2Errors,
  type Instance,
  type PluginApp,
} from '../../sdk/index.js'
import type { AgentInfo, CommandInfo, SkillInfo } from './types.js'
import { AgentV2Info, CommandV2Info, ModelRef, SkillV2Info } from './schemas.js'

/** `"provider/model"` (a command's model) as a v2 `ModelRef`. */
export function modelRefOf(model: string | undefined): Static<typeof ModelRef> | undefined {
  if (!model) return undefined
  const slash = model.indexOf('/')
  if (slash <= 0 || slash === model.length - 1) return undefined
  return { providerID: model.slice(0, slash), id: model.slice(slash + 1) }
}

export function agentV2View(agent: AgentInfo): Static<typeof AgentV2Info> {
  const body: Record<string, unknown> = { ...agent.options }
  if (agent.temperature !== undefined) body.temperature = agent.temperature
  if (agent.topP !== undefined) body.topP = agent.topP
  return {
    id: agent.name,
    ...(agent.model
      ? {
          model: {
            id: agent.model.modelID,
            providerID: agent.model.providerID,
            ...(agent.variant ? { variant: agent.variant } : {}),
          },
        }
      : {}),
    request: { headers: {}, body },
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

export function commandV2View(command: CommandInfo): Static<typeof CommandV2Info> {
  const model = modelRefOf(command.model)
  return {
    name: command.name,
    template: command.template,
    ...(command.description ? { description: command.description } : {}),
    ...(command.agent ? { agent: command.agent } : {}),
    ...(model ? { model } : {}),
    ...(command.subtask !== undefined ? { subtask: command.subtask } : {}),
  }
}

export function skillV2View(skill: SkillInfo): Static<typeof SkillV2Info> {
  return {
    name: skill.name,
    ...(skill.description ? { description: skill.description } : {}),
    slash: true,
    location: skill.location,
    content: skill.content,
  }
}

/** `GET /api/agent`, `/api/command`, `/api/skill`: v2 views over the same catalogues as v1. */
export function registerAgentV2Routes(app: PluginApp): void {
  const list = <T>(
    id: string,
    summary: string,
    item: Parameters<typeof ref>[0],
    load: (instance: Instance) => Promise<T[]>,
  ) =>
    app.get(
      `/api/${id}`,
      {
        config: { v2: true, location: true },
        schema: {
          operationId: `v2.${id}.list`,
          tags: ['v2'],
          summary,
          querystring: Type.Object(LocationQuery),
          response: { 200: LocationEnvelope(Type.Array(ref(item))), ...v2Errors() },
        },
      },
      async (request) => locationEnvelope(request, await load(request.instance)),
    )

  list('agent', 'List agents', AgentV2Info, async (instance) => (await app.agents.list(instance)).map(agentV2View))
  list('command', 'List commands', CommandV2Info, async (instance) =>
    (await app.commands.list(instance)).filter((command) => command.source !== 'skill').map(commandV2View),
  )
  list('skill', 'List skills', SkillV2Info, async (instance) => (await app.skills.list(instance)).map(skillV2View))
}
